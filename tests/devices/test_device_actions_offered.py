"""The device page offers only what the rules allow: an action the service would refuse (change
the status of an assigned device, assign a device in an Impilo warehouse) is shown disabled
with the reason, which the rule module gives (devices.services.rules), never written twice."""

import re

import pytest

from devices.services import device_assign, device_assignable_problem, status_change_problem

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def _button(page: str, label: str) -> str:
    match = re.search(rf"<button[^>]*>{re.escape(label)}</button>", page)
    assert match, f"no {label} button"
    return match.group(0)


def test_assigned_device_offers_no_status_change(nurse_client, cuff, harriet, alice):
    device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    page = nurse_client.get(f"/devices/{cuff.pk}/").content.decode()
    assert "disabled" in _button(page, "Change status…")
    assert status_change_problem(cuff).message in page
    assert "disabled" not in _button(page, "Replace…")


def test_warehouse_device_offers_no_assignment(nurse_client, boxed_cuff):
    page = nurse_client.get(f"/devices/{boxed_cuff.pk}/").content.decode()
    assert "disabled" in _button(page, "Assign to patient…")
    problem = device_assignable_problem(boxed_cuff)
    assert problem.code == "device_at_vendor_site"
    assert "Move it to a clinic first." in page
    assert "disabled" not in _button(page, "Move to clinic…")


def test_available_device_offers_assign_and_status(nurse_client, cuff):
    page = nurse_client.get(f"/devices/{cuff.pk}/").content.decode()
    assert "disabled" not in _button(page, "Assign to patient…")
    assert "disabled" not in _button(page, "Change status…")
