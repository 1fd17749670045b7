"""Replacement keeps the patient's monitoring: only a device of the same kind (the catalogue
item's kind) replaces another, and a reason is required — one rule in the service, refused the
same way on the device page and through the API, and the dialog offers only same-kind devices."""

from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages

from devices.models import DeviceStatus
from devices.services import DeviceRuleError, device_assign, device_replace
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


@pytest.fixture
def assigned(cuff, harriet, alice):
    device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    return cuff


def assert_nothing_changed(assigned, replacement, harriet, sandbox):
    assigned.refresh_from_db()
    replacement.refresh_from_db()
    assert (assigned.assigned_patient, assigned.current_status) == (harriet, DeviceStatus.ASSIGNED)
    assert assigned.assignments.get().ended_at is None
    assert (replacement.assigned_patient, replacement.assignments.count()) == (None, 0)
    assert not AuditEvent.objects.filter(action="device.replace").exists()
    # Refused before Impilo was called: the vendor still has the cuff with the patient.
    remote = sandbox.get("impilo", "devices", assigned.impilo_device_id)
    assert remote["patientId"] == harriet.impilo_patient_id


def test_service_refuses_a_replacement_of_another_kind(assigned, spare_scale, harriet, sandbox):
    with pytest.raises(DeviceRuleError) as caught:
        device_replace(device=assigned, replacement=spare_scale, note="Screen dead")
    assert (caught.value.code, caught.value.status, caught.value.field) == (
        "replacement_kind_mismatch",
        409,
        "replacement_device_id",
    )
    assert caught.value.message == (
        "A blood pressure monitor can only be replaced by another blood pressure monitor; "
        "BT005-S701 is a weight scale."
    )
    assert_nothing_changed(assigned, spare_scale, harriet, sandbox)


@pytest.mark.parametrize("note", ["", "   \n\t"])
def test_service_refuses_a_replacement_without_a_reason(
    assigned, spare_cuff, harriet, sandbox, note
):
    with pytest.raises(DeviceRuleError) as caught:
        device_replace(device=assigned, replacement=spare_cuff, note=note)
    assert (caught.value.code, caught.value.status, caught.value.field) == (
        "note_required",
        422,
        "note",
    )
    assert_nothing_changed(assigned, spare_cuff, harriet, sandbox)


def test_service_keeps_the_reason_as_the_returned_devices_note(assigned, spare_cuff):
    device_replace(device=assigned, replacement=spare_cuff, note="  Cuff leaks air  ")
    assert assigned.status_changes.first().note == "Cuff leaks air"


def test_api_refuses_another_kind_with_409(api, assigned, spare_scale, harriet, sandbox):
    response = api.post(
        f"/api/v1/devices/{assigned.pk}/replace",
        {"replacement_device_id": spare_scale.pk, "note": "Screen dead"},
        format="json",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    message = (
        "A blood pressure monitor can only be replaced by another blood pressure monitor; "
        "BT005-S701 is a weight scale."
    )
    assert response.json() == {
        "error": "replacement_kind_mismatch",
        "message": message,
        "fields": {"replacement_device_id": [message]},
    }
    assert_nothing_changed(assigned, spare_scale, harriet, sandbox)


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "  "}])
def test_api_refuses_a_missing_reason_with_422(api, assigned, spare_cuff, harriet, sandbox, body):
    response = api.post(
        f"/api/v1/devices/{assigned.pk}/replace",
        {"replacement_device_id": spare_cuff.pk, **body},
        format="json",
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["error"] == "note_required"
    assert list(response.json()["fields"]) == ["note"]
    assert_nothing_changed(assigned, spare_cuff, harriet, sandbox)


def test_dialog_offers_only_devices_of_the_same_kind(
    nurse_client, assigned, spare_cuff, spare_scale
):
    page = nurse_client.get(f"/devices/{assigned.pk}/").content.decode()
    dialog = page[page.index('id="replace-dialog"') :]
    dialog = dialog[: dialog.index("</dialog>")]
    assert f'value="{spare_cuff.pk}"' in dialog
    assert f'value="{spare_scale.pk}"' not in dialog
    assert "Only another blood pressure monitor can replace it" in dialog


def test_page_shows_the_refusal_for_another_kind(
    nurse_client, assigned, spare_scale, harriet, sandbox
):
    response = nurse_client.post(
        f"/devices/{assigned.pk}/replace/", {"replacement": spare_scale.pk, "note": "Dead"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "A blood pressure monitor can only be replaced by another blood pressure monitor; "
        "BT005-S701 is a weight scale."
    ]
    assert_nothing_changed(assigned, spare_scale, harriet, sandbox)


def test_page_shows_the_refusal_without_a_reason(
    nurse_client, assigned, spare_cuff, harriet, sandbox
):
    response = nurse_client.post(f"/devices/{assigned.pk}/replace/", {"replacement": spare_cuff.pk})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Say what is wrong with the old device: a replacement needs a reason."
    ]
    assert_nothing_changed(assigned, spare_cuff, harriet, sandbox)
