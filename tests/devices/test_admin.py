"""Django admin for the device models: every page opens, and an org admin sees only their rows."""

from http import HTTPStatus

import pytest

from devices.models import DeviceStatus
from devices.services import device_assign
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)

MODELS = ["item", "device", "devicestatuschange", "deviceassignment", "smartmeterconnection"]


@pytest.mark.parametrize("model", MODELS)
def test_org_admin_opens_every_device_admin_page(client, ada, cuff, harriet, model):
    device_assign(device=cuff, patient=harriet)
    client.force_login(ada)
    response = client.get(f"/admin/devices/{model}/")
    assert response.status_code == HTTPStatus.OK


def test_device_admin_is_scoped_to_the_organization(client, ada, cuff, other_org):
    DeviceFactory(
        organization=other_org, identifier="THEIRS-1", current_status=DeviceStatus.ASSIGNED
    )
    client.force_login(ada)
    page = client.get("/admin/devices/device/").content.decode()
    assert "BT105-S700" in page
    assert "THEIRS-1" not in page
    assert client.get(f"/admin/devices/device/{cuff.pk}/change/").status_code == HTTPStatus.OK
