"""Contract: each Solo records operation staff now reach from a page (seed 003 "Appointment
Attachments", "Patient Documents", "Episodes Of Care", "Perfect answer API", "Virtual Nursing and
Sitting"), through the portal's own service over real HTTP against the sandbox; and the sandbox
rules these operations rely on, each quoting the sentence of the document it enforces."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from appointments.models import AttachmentCopy, ConsultRequest, PatientDocument
from appointments.services import attachments, records, reports
from portal.http import VendorError
from portal.sandbox import world as demo
from tests.appointments import seed_examples as ex
from tests.appointments.conftest import future_slot
from tests.appointments.files import make_pdf
from tests.appointments.test_solo_contract_visits import refused

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself


def test_attachments_get_collection_matches_the_portals_copy(book, alice):
    """ "Get Appointment Attachments … Get collection of appointment attachments" — each item
    {id, appointmentId, title, mimeType, size, uploadedAt, deleted}; the portal's copy is the
    only way back to the bytes ("Upload", "Get" collection and "Delete" are all Solo offers)."""
    visit = book()
    pdf = make_pdf()
    upload = SimpleUploadedFile("UploadedPDF.pdf", pdf, content_type="application/pdf")
    attachment = attachments.attachment_upload(appointment=visit, upload=upload, by=alice)
    [item] = attachments.attachments_listed(appointment=visit)
    assert (item.solo_id, item.title, item.mime_type, item.size) == (
        attachment.solo_id, "UploadedPDF.pdf", "application/pdf", len(pdf),
    )  # fmt: skip
    assert item.can_open
    handle, served = attachments.attachment_opened(attachment=attachment, by=alice)
    with handle:
        assert (handle.read(), served) == (pdf, "application/pdf")
    attachments.attachment_delete(attachment=attachment, by=alice)
    assert attachments.attachments_listed(appointment=visit) == []
    assert not AttachmentCopy.objects.exists()


def test_add_patient_document_with_the_documents_shape(solo_patient, solo_account, alice):
    """ "Add Patient Document … Adds new patient document. All fields are required." — name,
    "dateTime": 1510367140 // [unix timestamp], responses of {question, response}; answer []."""
    written = datetime.fromtimestamp(ex.DOCUMENT["dateTime"], UTC)
    document = records.patient_document_add(
        patient=solo_patient,
        name=ex.DOCUMENT["name"],
        written_at=written,
        responses=ex.DOCUMENT["responses"],
        by=alice,
    )
    assert PatientDocument.objects.get() == document
    assert document.responses == ex.DOCUMENT["responses"]


def test_the_sandbox_refuses_documents_the_document_does_not_allow(solo):
    """ "All fields are required": dateTime is a [unix timestamp] (JSON true is not one), each
    question and response a [string]."""
    pid = demo.demo_patients()[0].solo_id
    message = "Fields name, dateTime and responses (question, response) are required"
    for body in (
        {**ex.DOCUMENT, "dateTime": True},
        {**ex.DOCUMENT, "dateTime": "1510367140"},
        {**ex.DOCUMENT, "name": 7},
        {**ex.DOCUMENT, "responses": [{"question": "question 1", "response": 1}]},
    ):
        refused(lambda body=body: solo.patient_document_add(pid, body), 400, message)
    refused(
        lambda: solo.patient_document_add(pid, {**ex.DOCUMENT, "dateTime": 10**15}),
        400,
        "Field dateTime must be a unix timestamp",
    )


def test_episodes_list_update_and_appointments_through_the_portal(book, alice):
    """ "Get list of Episodes for patient", "Update Episode" and "Get list of Appointments for an
    Episode" — the list mirrored, the update sent with the document's capital statuses, and the
    episode's appointments matched to the portal's visits by appointmentId."""
    visit = book()
    episode = records.episode_create(
        patient=visit.patient, name="covid care", kind="covid",
        starts_on=future_slot(0).date(), by=alice,
    )  # fmt: skip
    assert [e.solo_id for e in records.episodes_refresh(patient=visit.patient)] == [episode.solo_id]
    records.appointment_episode_assign(appointment=visit, episode=episode, by=alice)
    records.episode_update(
        episode=episode, name="covid care", kind="covid", starts_on=episode.starts_on,
        status="onhold", objective="care covid patient", reason_incomplete="unknown", by=alice,
    )  # fmt: skip
    [listed] = records.episodes_refresh(patient=visit.patient)
    assert (listed.status, listed.reason_incomplete) == ("onhold", "unknown")
    [item] = records.episode_appointments(episode=episode)
    assert (item["solo_id"], item["visit"], item["has_notes"]) == (visit.solo_id, visit, False)
    assert item["starts_at"] == visit.starts_at


def test_the_sandbox_holds_episodes_to_the_documents_format(solo):
    """ "status": "string" // [string] (required) [PLANNING, WAITLIST, ACTIVE, ONHOLD, FINISHED,
    CANCELED]; "from": "YYYY-MM-DD"; every field a [string]."""
    pid = demo.demo_patients()[0].solo_id
    statuses = "PLANNING, WAITLIST, ACTIVE, ONHOLD, FINISHED, CANCELED"
    refused(
        lambda: solo.episode_create(pid, {**ex.EPISODE, "status": "planning"}),
        400,
        f"Field status must be one of {statuses}",
    )
    for day in ("20230329", "2023-W13-3"):  # ISO 8601, but not the document's YYYY-MM-DD
        refused(
            lambda day=day: solo.episode_create(pid, {**ex.EPISODE, "from": day}),
            400,
            "Dates must be YYYY-MM-DD",
        )
    refused(
        lambda: solo.episode_create(pid, {**ex.EPISODE, "name": ["covid care"]}),
        400,
        "Field name must be a string",
    )


def test_perfect_answer_through_the_portal_and_its_24_hour_refusal(solo_patient, solo_account):
    """ "Perfect answer API" answers {patientId, encounterId}; "Rejected request … A visit has
    already been created for the patient within 24 hours"."""
    item = reports.consult_request(
        organization=solo_patient.organization,
        patient=solo_patient,
        reason="EEG Stat",
        consult_type="new",
        location_id=str(uuid.uuid4()),
        requesting_provider="Bob Dylan",
        callback_number="+1-202-555-0150",
        call_center_notified=datetime(2019, 12, 3, 14, 32, 12, tzinfo=UTC),
        by=None,
    )
    assert ConsultRequest.objects.get() == item
    assert item.encounter_id
    assert item.solo_patient_id
    with pytest.raises(VendorError) as caught:
        reports.consult_request(
            organization=solo_patient.organization, patient=solo_patient, reason="Stroke",
            consult_type="update", location_id=str(uuid.uuid4()),
            requesting_provider="Bob Dylan", by=None,
        )  # fmt: skip
    assert caught.value.message == (
        "A visit has already been created for the patient within 24 hours"
    )
    assert ConsultRequest.objects.count() == 1


def test_the_sandbox_holds_perfect_answer_to_the_documents_types(solo):
    """ "dob": "2001-01-20", // (string) - Date of birth in ISO 8601 format; "callCenterNotified":
    "2019-12-03T14:32:12Z", // (string, optional) - Date and time in ISO format."""
    body = {**ex.PERFECT_ANSWER, "locationId": str(uuid.uuid4()), "mrn": "AA-00000077"}
    refused(
        lambda: solo.perfect_answer({**body, "dob": "20010120"}),
        400,
        "Bad parameters [dob: This value is not a valid date.]",
    )
    refused(
        lambda: solo.perfect_answer({**body, "callCenterNotified": "yesterday"}),
        400,
        "Bad parameters [callCenterNotified: This value is not a valid datetime.]",
    )
    refused(
        lambda: solo.perfect_answer({**body, "mrn": 1}),
        400,
        "Bad parameters [mrn: This value should be of type string.]",
    )
    assert set(solo.perfect_answer(body)) == {"patientId", "encounterId"}  # the example passes


def test_current_assistance_request_through_the_portal(org, solo_account, alice):
    """ "Get Current Assistance Request" with each body shape answers the request object, or
    "Service Request Error: Request not found" once it is cancelled."""
    item = reports.assistance_request_create(
        organization=org, location=ex.ASSISTANCE_BY_DEVICE, by=alice
    )
    current = reports.assistance_request_current(
        organization=org, location=ex.ASSISTANCE_BY_BED, by=alice
    )
    assert set(current) == ex.ASSISTANCE_KEYS
    assert (current["id"], current["device"]) == (item.solo_id, "123457")
    reports.assistance_request_cancel(item=item, by=alice)
    assert (
        reports.assistance_request_current(
            organization=org, location=ex.ASSISTANCE_BY_DEVICE, by=alice
        )
        is None
    )
