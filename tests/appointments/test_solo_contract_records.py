"""Contract: visit notes, attachments, documents, episodes, reports, perfect answer,
context-aware linking, webhooks and virtual-nursing requests (seed 003), through SoloClient
against the sandbox over real HTTP, with the document's example bodies and error messages."""

import io
import uuid
import zipfile
from datetime import UTC, date, datetime

import pytest
import requests

from appointments.crypto import solo_decrypt_json
from portal.sandbox import world as demo
from portal.sandbox.solo_common import LINKING_SECRET
from tests.appointments import seed_examples as ex
from tests.appointments.test_solo_contract_visits import refused

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

PDF = b"%PDF-1.4\n%%EOF\n"
SEEDED = 500  # a seeded appointment of demo patient 0


def test_visit_note_get_has_the_documented_shape(solo):
    [note] = solo.visit_note_get(SEEDED)
    assert set(note) == {"id", "template", "comments", "responses"}
    assert set(note["template"]) == {"name", "flow"}
    assert "sections" in note["template"]["flow"]


def test_visit_note_update_with_the_documents_example(solo):
    assert solo.visit_note_update(SEEDED, **ex.VISIT_NOTE_UPDATE) == []
    [note] = solo.visit_note_get(SEEDED)
    [response] = note["responses"]
    assert response["question"] == ["Demographics", "Sex"]
    assert response["response"] == ["Male"]
    assert set(response["dateTime"]) == {"date", "timezone_type", "timezone"}
    refused(
        lambda: solo.visit_note_update(SEEDED, name="", questions=[]),
        400,
        "Fields name and questions are required",
    )
    refused(
        lambda: solo.visit_note_update(SEEDED, name="template9", questions=[]),
        404,
        'Visit note template "template9" not found',
    )
    refused(lambda: solo.visit_note_get(999999), 404, "Appointment not found")


def test_attachments_upload_list_delete(solo):
    uploaded = solo.attachment_upload(
        SEEDED, content=PDF, mime_type="application/pdf", file_name="UploadedPDF.pdf"
    )
    assert set(uploaded) == {
        "id", "appointmentId", "title", "mimeType", "size", "uploadedAt", "deleted",
    }  # fmt: skip
    assert (uploaded["title"], uploaded["mimeType"], uploaded["size"]) == (
        "UploadedPDF.pdf",
        "application/pdf",
        len(PDF),
    )
    assert solo.attachments(SEEDED) == {"attachments": [uploaded]}
    solo.attachment_delete(SEEDED, uploaded["id"])
    assert solo.attachments(SEEDED) == {"attachments": []}
    refused(lambda: solo.attachment_delete(SEEDED, uploaded["id"]), 404, "Attachment not found")


def test_attachment_documented_errors(solo):
    refused(
        lambda: solo.attachment_upload(
            SEEDED, content=b"hi", mime_type="text/plain", file_name="a"
        ),
        415,
        'Mime type "text/plain" not supported. Available file mime-types: "application/pdf", '
        '"application/x-pdf", "image/pdf", "image/png", "image/jpeg"',
    )
    big = b"%PDF" + b"0" * (5 * 1024 * 1024 - 3)
    refused(
        lambda: solo.attachment_upload(
            SEEDED, content=big, mime_type="application/pdf", file_name="big.pdf"
        ),
        413,
        "File is too large. Max file size: 5Mb",
    )


def test_patient_document_with_the_documents_example(solo):
    first = demo.demo_patients()[0]
    assert solo.patient_document_add(first.solo_id, ex.DOCUMENT) == []
    refused(
        lambda: solo.patient_document_add(first.solo_id, {"name": "x"}),
        400,
        "Fields name, dateTime and responses (question, response) are required",
    )
    refused(lambda: solo.patient_document_add("nobody", ex.DOCUMENT), 404, "Patient not found")


def test_episodes_create_list_get_update_and_assign(solo):
    first = demo.demo_patients()[0]
    created = solo.episode_create(first.solo_id, ex.EPISODE)
    episode_id = created["episodeId"]
    assert list(created) == ["episodeId"]
    [listed] = solo.episodes(first.solo_id)["episodes"]
    assert set(listed) == {
        "id", "patientId", "name", "from", "to", "type", "status", "objective", "reasonIncomplete",
    }  # fmt: skip
    assert (listed["status"], listed["patientId"]) == ("planning", first.solo_id)
    got = solo.episode_get(episode_id)
    assert got["soloPatientId"] == first.solo_spid
    assert got["externalPatientId"] == first.solo_id
    assert solo.episode_update(episode_id, {**ex.EPISODE, "status": "ACTIVE"}) == []
    assert solo.episode_get(episode_id)["status"] == "active"
    assert solo.episode_assign(SEEDED, episode_id) == []
    linked = solo.episode_appointments(episode_id)
    assert linked["episode"]["id"] == episode_id
    [appointment] = linked["appointments"]
    assert set(appointment) == {"appointmentId", "date", "reasons", "hasNotes", "episodeOfCareId"}
    assert appointment["appointmentId"] == SEEDED
    solo.episode_assign(SEEDED, None)
    assert solo.episode_appointments(episode_id)["appointments"] == []


def test_episode_documented_errors(solo):
    pid = demo.demo_patients()[0].solo_id
    refused(
        lambda: solo.episode_create(pid, {**ex.EPISODE, "name": ""}), 400, "Field name is required"
    )
    refused(
        lambda: solo.episode_create(pid, {**ex.EPISODE, "status": "string"}),
        400,
        "Field status must be one of PLANNING, WAITLIST, ACTIVE, ONHOLD, FINISHED, CANCELED",
    )
    refused(
        lambda: solo.episode_create(pid, {**ex.EPISODE, "from": "YYYY-MM-DD"}),
        400,
        "Dates must be YYYY-MM-DD",
    )
    refused(lambda: solo.episode_get("bd43a830"), 404, "Episode not found")
    other = solo.episode_create(demo.demo_patients()[1].solo_id, ex.EPISODE)["episodeId"]
    refused(
        lambda: solo.episode_assign(SEEDED, other), 400, "The episode belongs to another patient"
    )


def test_csv_data_dump_lists_visits_in_the_range(solo):
    content = solo.csv_data_dump(start=date(2000, 1, 1), end=date(2100, 1, 1)).decode()
    lines = content.strip().splitlines()
    assert lines[0] == "appointmentId,date,patientId,waitingRoom,status,duration"
    assert len(lines) == 13  # the twelve seeded visits
    assert solo.csv_data_dump(start=date(2000, 1, 1), end=date(2000, 1, 2)).count(b"\n") == 1
    refused(
        lambda: solo.json("GET", "qapi/v1/reports/csv-data-dump", params={"from": "2020-02-10"}),
        400,
        "Parameters from and to are required dates (YYYY-MM-DD)",
    )


def test_encounter_report_create_status_download(solo):
    start = datetime.fromisoformat(ex.ENCOUNTER_REPORT["from"])
    created = solo.encounter_report_create(
        start=start,
        end=datetime.fromisoformat("2100-01-01T00:00:00+00:00"),
        preset_id=ex.ENCOUNTER_REPORT["presetId"],
        password=ex.ENCOUNTER_REPORT["password"],
    )
    assert created["status"] == "pending"
    assert set(created) == {"id", "status"}
    refused(lambda: solo.encounter_report_download(created["id"]), 409, "Report is not ready yet")
    assert solo.encounter_report_status(created["id"]) == {"id": created["id"], "status": "pending"}
    assert solo.encounter_report_status(created["id"])["status"] == "completed"
    archive = zipfile.ZipFile(io.BytesIO(solo.encounter_report_download(created["id"])))
    assert archive.namelist() == ["encounter-report.csv"]
    refused(lambda: solo.encounter_report_status("nope"), 404, "Report not found")
    refused(
        lambda: solo.json("POST", "qapi/v1/encounter-report/create", json={"from": "x"}),
        400,
        "Fields from and to are required ATOM date-times (Y-m-d\\TH:i:sP)",
    )


def test_perfect_answer_with_the_documents_example_and_its_errors(solo):
    refused(
        lambda: solo.perfect_answer(ex.PERFECT_ANSWER),
        400,
        "Bad parameters [locationId: This is not a valid UUID.]",
    )
    body = {**ex.PERFECT_ANSWER, "locationId": str(uuid.uuid4())}
    answer = solo.perfect_answer(body)
    assert set(answer) == {"patientId", "encounterId"}
    assert solo.appointment_get(answer["encounterId"])["reasons"] == ["EEG Stat"]
    refused(
        lambda: solo.perfect_answer(body),
        409,
        "A visit has already been created for the patient within 24 hours",
    )


def test_context_aware_linking_redirects_to_the_visit(solo, sandbox_url):
    from appointments.crypto import solo_encrypt_json

    data = {
        "user": "1234",
        "type": "provider",
        "visit": str(SEEDED),
        "date": 1700000000,
        "patient": {"id": "4000", "sex": "male", "dob": "1983-08-15", "firstName": "M",
                    "lastName": "S"},
    }  # fmt: skip
    url = solo.linking_url(solo_encrypt_json(LINKING_SECRET, data))
    response = requests.get(url, allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/videocalls/{SEEDED}?role=provider")
    # The document's own example lacks type/date/patient: refused as incomplete.
    bad = requests.get(solo.linking_url(ex.LINKING_EXAMPLE), allow_redirects=False, timeout=5)
    assert bad.status_code == 400


def test_webhooks_add_list_get_update_delete_with_the_documents_example(solo):
    added = solo.webhook_add(endpoint="https://webhook.site/x", events=ex.WEBHOOK["events"])
    assert set(added) == {"id", "endpoint", "events", "encryptionKey"}
    assert len(__import__("base64").b64decode(added["encryptionKey"])) == 16
    assert solo.webhooks() == [
        {"id": added["id"], "endpoint": "https://webhook.site/x", "events": ex.WEBHOOK["events"]}
    ]
    assert solo.webhook_get(added["id"]) == added
    updated = solo.webhook_update(
        added["id"], endpoint="https://webhook.site/updated/x", events=["appointment:scheduled"]
    )
    assert updated == {
        "id": added["id"],
        "endpoint": "https://webhook.site/updated/x",
        "events": ["appointment:scheduled"],
    }
    solo.webhook_delete(added["id"])
    assert solo.webhooks() == []
    refused(lambda: solo.webhook_get(added["id"]), 404, "Webhook not found")
    refused(
        lambda: solo.webhook_add(endpoint="https://webhook.site/x", events=["visit:done"]),
        400,
        "Unknown event visit:done; one of patient:created, patient:updated, patient:deactivated, "
        "appointment:scheduled, appointment:rescheduled, appointment:cancelled, "
        "appointment:completed, appointment:incompleted, appointment:no-show, appointment:lwbs, "
        "episode:created, episode:updated",
    )
    refused(
        lambda: solo.webhook_add(endpoint="webhook.site", events=["appointment:scheduled"]),
        400,
        "Field endpoint must be an http(s) URL",
    )


def test_webhook_payloads_decrypt_with_the_encryption_key(solo, live_server):
    """The sandbox encrypts each event with the webhook's key, as the document's PHP shows."""
    from portal.sandbox.state import STORE

    hook = solo.webhook_add(endpoint=f"{live_server.url}/nowhere", events=["patient:updated"])
    solo.patient_update(demo.demo_patients()[0].solo_id, {"race": "White"})
    [sent] = STORE.outbox
    spid = demo.demo_patients()[0].solo_spid
    assert solo_decrypt_json(hook["encryptionKey"], sent["body"]) == {
        "event": "patient:updated",
        "data": {"patientId": spid},
    }


@pytest.mark.parametrize(
    "location",
    [
        ex.ASSISTANCE_BY_BED,
        ex.ASSISTANCE_BY_DEPARTMENT,
        ex.ASSISTANCE_BY_MRN,
        ex.ASSISTANCE_BY_DEVICE,
    ],
)
def test_assistance_request_create_get_cancel_in_each_documented_shape(solo, location):
    created = solo.assistance_request_create(location)
    assert set(created) == ex.ASSISTANCE_KEYS
    assert (created["device"], created["status"]) == ("123457", "incomplete")
    assert solo.assistance_request_get(location) == created
    solo.assistance_request_cancel(location)
    refused(
        lambda: solo.assistance_request_get(location),
        404,
        "Service Request Error: Request not found",
    )
    refused(
        lambda: solo.assistance_request_cancel(location),
        404,
        "Service Request Error: Request not found",
    )


def test_assistance_request_documented_errors(solo):
    refused(lambda: solo.assistance_request_create({"room": "431"}), 400, ex.MISSING_PARAMETERS)
    refused(
        lambda: solo.assistance_request_create({**ex.ASSISTANCE_BY_BED, "building": "annex"}),
        404,
        "Device could not be found from the data submitted",
    )
    refused(
        lambda: solo.assistance_request_create({"deviceSerialNumber": "000000"}),
        404,
        "Device could not be found from the data submitted",
    )


def test_times_are_unix_seconds(solo):
    got = solo.appointment_get(SEEDED)
    assert datetime.fromtimestamp(got["date"], UTC).minute == 0
