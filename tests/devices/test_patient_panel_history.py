"""The devices panel on the patient page counts the patient's earlier devices: ended
assignments and disconnected Smart Meters (the count once read 0 whatever the history)."""

import pytest

from devices.services import device_assign, device_unassign

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def test_earlier_devices_counts_an_unassigned_device(nurse_client, cuff, harriet, alice):
    device_assign(device=cuff, patient=harriet, by=alice)
    device_unassign(device=cuff, by=alice)
    page = nurse_client.get(f"/patients/{harriet.pk}/").content.decode()
    assert "Earlier devices (1)" in page
    assert "BT105-S700" in page
