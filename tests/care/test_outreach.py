"""Outreach attempts: logged from a worklist or the patient page (who, when, medium, outcome,
note), a reached patient's call logged as care time with it, shown on the patient, audited."""

from http import HTTPStatus

import pytest

from portal.models import AuditEvent
from readings.care.models import OutreachAttempt, TimeEntry
from tests.factories import PatientFactory, entry

pytestmark = pytest.mark.both_databases


def listed(client, slug):
    return [row.patient.pk for row in client.get(f"/worklists/{slug}/").context["rows"]]


def post(client, patient, **data):
    return client.post(f"/patients/{patient.pk}/outreach/", data)


def test_an_attempt_from_a_worklist_is_recorded_audited_and_returns_to_the_list(
    nurse_client, patient, alice
):
    response = post(
        nurse_client,
        patient,
        outcome="left_message",
        medium="phone",
        note="voicemail, will call back",
        worklist="device-days",
        next="/worklists/device-days/?page=1",
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/worklists/device-days/?page=1"
    attempt = OutreachAttempt.objects.get()
    assert (attempt.patient, attempt.performed_by, attempt.organization) == (
        patient,
        alice,
        patient.organization,
    )
    assert (attempt.outcome, attempt.medium, attempt.worklist) == (
        "left_message",
        "phone",
        "device-days",
    )
    assert attempt.note == "voicemail, will call back"
    assert attempt.time_entry is None
    event = AuditEvent.objects.get(action="outreach.create")
    assert event.patient_id == patient.pk
    assert event.detail == {
        "outcome": "left_message",
        "medium": "phone",
        "worklist": "device-days",
        "time_entry": None,
    }
    assert "voicemail" not in str(event.detail)  # the note is not copied into the audit


def test_reaching_the_patient_logs_the_call_as_the_months_contact(nurse_client, patient, alice):
    entry(patient, alice, minutes=12)
    assert listed(nurse_client, "contact") == [patient.pk]
    post(
        nurse_client,
        patient,
        outcome="reached",
        medium="phone",
        contact_with="caregiver",
        call_minutes="9",
        worklist="contact",
        next="/worklists/contact/",
    )
    attempt = OutreachAttempt.objects.get()
    call = attempt.time_entry
    assert (call.seconds, call.activity, call.contact_medium, call.contact_with) == (
        540,
        "call",
        "phone",
        "caregiver",
    )
    assert call.is_contact
    assert call.performed_by == alice
    assert listed(nurse_client, "contact") == []
    # 21 minutes now: 19 to the next 99458, off the 10-minute list
    assert listed(nurse_client, "minutes") == []


def test_a_reached_text_is_a_message_not_a_contact(nurse_client, patient):
    post(nurse_client, patient, outcome="reached", medium="text", call_minutes="3")
    call = TimeEntry.objects.get()
    assert (call.activity, call.contact_medium, call.is_contact) == ("secure_message", "", False)
    assert listed(nurse_client, "contact") == [patient.pk]


def test_minutes_without_reaching_anyone_are_refused(nurse_client, patient):
    response = post(
        nurse_client, patient, outcome="no_answer", medium="phone", call_minutes="5", next="/x/"
    )
    assert response["Location"] == "/x/"
    assert not OutreachAttempt.objects.exists()
    assert not TimeEntry.objects.exists()
    follow = nurse_client.get("/worklists/contact/")
    assert "Only a call that reached the patient is care time." in follow.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"outcome": "maybe", "medium": "phone"},
        {"outcome": "reached", "medium": "pigeon"},
        {"outcome": "reached", "medium": "phone", "call_minutes": "0"},
        {"outcome": "reached", "medium": "phone", "note": "x" * 2001},
    ],
)
def test_bad_attempts_are_refused_with_a_message(nurse_client, patient, data):
    response = post(nurse_client, patient, **data)
    assert response.status_code == HTTPStatus.FOUND
    assert not OutreachAttempt.objects.exists()
    page = nurse_client.get(response["Location"]).content.decode()
    assert "Outreach not logged" in page


def test_an_unsafe_next_goes_back_to_the_patient(nurse_client, patient):
    response = post(
        nurse_client, patient, outcome="no_answer", medium="phone", next="https://evil.example/"
    )
    assert response["Location"] == f"/patients/{patient.pk}/#outreach"


def test_the_patient_page_shows_attempts_and_the_form(nurse_client, patient, alice):
    post(nurse_client, patient, outcome="no_answer", medium="phone", note="rang twice")
    page = nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    assert 'id="outreach"' in page
    assert f'action="/patients/{patient.pk}/outreach/"' in page
    assert "No answer" in page
    assert "rang twice" in page


def test_another_organizations_patient_is_404(client, olga, patient):
    client.force_login(olga)
    response = post(client, patient, outcome="no_answer", medium="phone")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not OutreachAttempt.objects.exists()


def test_coordinators_may_log_outreach(client, bob, org):
    patient = PatientFactory(organization=org)
    client.force_login(bob)
    post(client, patient, outcome="reached", medium="phone", call_minutes="4")
    attempt = OutreachAttempt.objects.get()
    assert attempt.performed_by == bob
    assert not attempt.time_entry.billable  # a coordinator's time: kept, not billable
