"""Pages for Solo records that existed only in the client: episodes (list, change, visits),
patient documents, the stat consult request, and the current assistance request of a room or
device. Each refusal is shown in words; other organizations get 404; views are audited."""

import uuid
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments.models import AssistanceRequest, ConsultRequest, Episode, PatientDocument
from appointments.services.records import episode_create
from portal.models import AuditEvent
from portal.sandbox.state import STORE
from tests.appointments.conftest import future_slot

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def text(response) -> str:
    return response.content.decode()


# --- episodes --------------------------------------------------------------------------------
def test_the_episode_list_reads_solo_and_mirrors_an_episode_made_there(
    client, alice, solo_patient, vendor_accounts
):
    made_in_solo = str(uuid.uuid4())
    STORE.put(
        "solo",
        "episodes",
        made_in_solo,
        {"id": made_in_solo, "patientId": solo_patient.solo_id, "name": "Stroke rehab",
         "type": "neuro", "from": "2026-01-05", "to": None, "status": "onhold",
         "objective": "walk unaided", "reasonIncomplete": ""},
    )  # fmt: skip
    client.force_login(alice)
    response = client.get(
        reverse("appointments:episode_list", args=[solo_patient.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == HTTPStatus.OK
    assert "Stroke rehab" in text(response)
    assert "On hold" in text(response)
    episode = Episode.objects.get(solo_id=made_in_solo)
    assert (episode.patient, episode.status, episode.kind) == (solo_patient, "onhold", "neuro")
    assert AuditEvent.objects.filter(action="episode.list", patient=solo_patient).count() == 1


def test_the_episode_list_falls_back_to_the_mirror_in_words(
    client, alice, solo_patient, vendor_accounts, faults
):
    Episode.objects.create(
        organization=solo_patient.organization, patient=solo_patient, solo_id="e-1",
        name="Heart failure", kind="rpm", starts_on="2026-01-01", status="active",
    )  # fmt: skip
    faults.inject("solo", "error", count=5, path_contains="/episodes")
    client.force_login(alice)
    page = text(client.get(reverse("appointments:episode_list", args=[solo_patient.pk])))
    assert "Heart failure" in page
    assert "Solo&#x27;s list could not be read, so the portal&#x27;s copy is shown." in page


def test_an_episode_is_changed_in_solo_and_shows_its_visits(client, alice, book):
    visit = book()
    episode = episode_create(
        patient=visit.patient, name="Hypertension", kind="rpm",
        starts_on=future_slot(0).date(), by=alice,
    )  # fmt: skip
    client.force_login(alice)
    client.post(reverse("appointments:episode_assign", args=[visit.pk]), {"episode": episode.pk})
    url = reverse("appointments:episode_detail", args=[episode.pk])
    page = text(client.get(url))
    assert reverse("appointments:detail", args=[visit.pk]) in page  # the visit Solo lists
    assert AuditEvent.objects.filter(action="episode.view", object_id=str(episode.pk)).exists()

    response = client.post(
        url,
        {"name": "Hypertension", "kind": "rpm", "starts_on": "2026-01-01",
         "ends_on": "2026-03-01", "status": "finished", "objective": "",
         "reason_incomplete": ""},
        follow=True,
    )  # fmt: skip
    assert "Episode “Hypertension” updated in Solo." in text(response)
    in_solo = STORE.get("solo", "episodes", episode.solo_id)
    assert (in_solo["status"], in_solo["to"]) == ("finished", "2026-03-01")
    episode.refresh_from_db()
    assert (episode.status, str(episode.ends_on)) == ("finished", "2026-03-01")


def test_an_episode_change_refused_is_shown_in_words(client, alice, book):
    visit = book()
    episode = episode_create(
        patient=visit.patient, name="Hypertension", kind="rpm",
        starts_on=future_slot(0).date(), by=alice,
    )  # fmt: skip
    client.force_login(alice)
    url = reverse("appointments:episode_detail", args=[episode.pk])
    response = client.post(
        url,
        {"name": "Hypertension", "kind": "rpm", "starts_on": "2026-03-01",
         "ends_on": "2026-01-01", "status": "active"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == HTTPStatus.OK
    assert "The episode was not changed." in text(response)
    assert STORE.get("solo", "episodes", episode.solo_id)["status"] == "active"


def test_another_organizations_staff_cannot_see_or_change_an_episode(client, olga, alice, book):
    visit = book()
    episode = episode_create(
        patient=visit.patient, name="Hypertension", kind="rpm",
        starts_on=future_slot(0).date(), by=alice,
    )  # fmt: skip
    client.force_login(olga)
    for method, url in (
        ("get", reverse("appointments:episode_detail", args=[episode.pk])),
        ("post", reverse("appointments:episode_detail", args=[episode.pk])),
        ("get", reverse("appointments:episode_list", args=[visit.patient.pk])),
    ):
        assert getattr(client, method)(url).status_code == HTTPStatus.NOT_FOUND, (method, url)


# --- patient documents -------------------------------------------------------------------------
def test_a_document_is_added_in_solo_and_listed_on_the_patient_page(
    client, alice, solo_patient, vendor_accounts
):
    client.force_login(alice)
    url = reverse("appointments:documents", args=[solo_patient.pk])
    response = client.post(
        url,
        {"name": "Intake questionnaire", "written_at": "2026-03-02T09:30",
         "question_1": "Smoker?", "response_1": "No", "question_2": "", "response_2": ""},
        follow=True,
    )  # fmt: skip
    assert "Document “Intake questionnaire” added in Solo." in text(response)
    [sent] = [d for d in STORE.all("solo", "documents") if d["patientId"] == solo_patient.solo_id]
    local = datetime(2026, 3, 2, 9, 30, tzinfo=solo_patient.tz)
    assert sent["dateTime"] == int(local.timestamp())  # in the patient's zone, as unix seconds
    assert sent["responses"] == [{"question": "Smoker?", "response": "No"}]
    document = PatientDocument.objects.get()
    assert (document.written_at, document.added_by) == (local.astimezone(UTC), alice)
    patient_page = text(client.get(reverse("patients:detail", args=[solo_patient.pk])))
    assert "Intake questionnaire" in patient_page
    assert "Documents in Solo" in patient_page


def test_a_document_without_answers_is_refused_in_words(
    client, alice, solo_patient, vendor_accounts
):
    client.force_login(alice)
    url = reverse("appointments:documents", args=[solo_patient.pk])
    response = client.post(
        url,
        {"name": "Empty", "written_at": "2026-03-02T09:30", "question_1": "Smoker?"},
        follow=True,
    )
    assert "Each question needs a response" in text(response)
    response = client.post(url, {"name": "Empty", "written_at": "soon"}, follow=True)
    assert "The document was not added. Date and time: Enter a date and time." in text(response)
    assert not PatientDocument.objects.exists()
    assert STORE.all("solo", "documents") == []


def test_documents_are_for_clinical_staff_of_the_organization(client, bob, olga, solo_patient):
    url = reverse("appointments:documents", args=[solo_patient.pk])
    client.force_login(bob)  # a coordinator
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    client.force_login(olga)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, {"name": "x"}).status_code == HTTPStatus.NOT_FOUND


# --- stat teleconsult (perfect answer) ---------------------------------------------------------
def consult(client, patient, **changes):
    data = {
        "patient": patient.pk,
        "reason": "EEG Stat",
        "consult_type": "new",
        "location_id": "9b2f2f4e-2a55-4c8e-9a6a-1f9d2f3b8d10",
        "requesting_provider": "Bob Dylan",
        "physician_callback_number": "+1-202-555-0150",
        "call_center_notified": "2026-03-02T09:30",
        **changes,
    }
    return client.post(reverse("appointments:consults"), data, follow=True)


def test_a_consult_is_requested_and_a_second_within_24_hours_is_refused_in_words(
    client, petra, solo_patient, vendor_accounts
):
    client.force_login(petra)
    response = consult(client, solo_patient)
    item = ConsultRequest.objects.get()
    assert f"EEG stat consult requested: Solo booked visit #{item.encounter_id}" in text(response)
    assert STORE.get("solo", "appointments", int(item.encounter_id))["reasons"] == ["EEG Stat"]
    again = text(consult(client, solo_patient, reason="Stroke"))
    assert "No consult was requested." in again
    assert "A visit has already been created for the patient within 24 hours" in again
    assert "Only one stat consult visit per patient is booked in 24 hours" in again
    assert ConsultRequest.objects.count() == 1


def test_a_consult_with_a_bad_location_is_refused_before_solo(
    client, alice, solo_patient, vendor_accounts
):
    client.force_login(alice)
    page = text(consult(client, solo_patient, location_id="123"))
    assert "Enter the location&#x27;s id as Solo shows it (a UUID)." in page
    assert STORE.all("solo", "perfect_answers") == []


def test_consults_are_for_clinical_roles_and_the_organizations_patients(
    client, bob, olga, alice, solo_patient, vendor_accounts
):
    client.force_login(bob)
    assert client.get(reverse("appointments:consults")).status_code == HTTPStatus.FORBIDDEN
    client.force_login(olga)
    page = consult(client, solo_patient)  # not a patient olga's organization has
    assert "Select a valid choice." in text(page)
    assert solo_patient.last_name not in text(client.get(reverse("appointments:consults")))
    assert not ConsultRequest.objects.exists()


# --- virtual nursing: the current request ------------------------------------------------------
def test_the_current_request_of_a_device_is_shown(client, alice, org, vendor_accounts):
    client.force_login(alice)
    client.post(reverse("appointments:assistance"), {"by": "device", "device_serial": "123457"})
    url = reverse("appointments:assistance_current")
    page = text(client.get(url, {"look-by": "bed", **{f"look-{k}": v for k, v in (
        ("building", "hospital"), ("floor", "floor 2"), ("room", "431"))}}))  # fmt: skip
    assert "Current request of a room or device" in page
    assert "incomplete" in page
    assert "123457" in page
    assert "Yura Lukashik" in page
    assert AuditEvent.objects.filter(action="assistance.view").count() == 1


def test_no_current_request_is_said_in_words(client, alice, org, vendor_accounts):
    client.force_login(alice)
    page = text(
        client.get(
            reverse("appointments:assistance_current"),
            {"look-by": "device", "look-device_serial": "123457"},
        )
    )
    assert "No assistance request is open there: Solo answered “Request not found”." in page
    page = text(client.get(reverse("appointments:assistance_current"), {"look-by": "mrn"}))
    assert "Fill in the fields for the chosen way of finding the bed." in page
    page = text(
        client.get(
            reverse("appointments:assistance_current"),
            {"look-by": "device", "look-device_serial": "000000"},
        )
    )
    assert "No assistance request is open there" in page


def test_a_listed_request_can_be_checked(client, alice, org, vendor_accounts):
    client.force_login(alice)
    client.post(reverse("appointments:assistance"), {"by": "mrn", "patient_mrn": "1234"})
    item = AssistanceRequest.objects.get()
    page = text(client.get(reverse("appointments:assistance_current"), {"item": item.pk}))
    assert "For patientMrn 1234" in page
    assert "Nobody yet" in page


def test_the_current_request_is_for_staff_of_the_organization(
    client, bob, olga, alice, org, vendor_accounts
):
    client.force_login(alice)
    client.post(reverse("appointments:assistance"), {"by": "mrn", "patient_mrn": "1234"})
    item = AssistanceRequest.objects.get()
    url = reverse("appointments:assistance_current")
    client.force_login(bob)  # a coordinator follows the nurse's request (portal.roles)
    assert client.get(url, {"item": item.pk}).status_code == HTTPStatus.OK
    client.force_login(olga)
    assert client.get(url, {"item": item.pk}).status_code == HTTPStatus.NOT_FOUND


def test_an_empty_post_is_answered_in_words(client, alice, solo_patient, vendor_accounts, book):
    visit = book()
    episode = episode_create(
        patient=visit.patient, name="Hypertension", kind="rpm",
        starts_on=future_slot(0).date(), by=alice,
    )  # fmt: skip
    client.force_login(alice)
    for url, words in (
        (reverse("appointments:consults"), "No consult was requested."),
        (reverse("appointments:documents", args=[solo_patient.pk]), "The document was not added."),
        (reverse("appointments:episode_detail", args=[episode.pk]), "The episode was not changed."),
    ):
        response = client.post(url, b"{}", content_type="application/json")
        assert response.status_code == HTTPStatus.OK, url
        assert words in text(response), url
