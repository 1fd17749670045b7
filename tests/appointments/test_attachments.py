"""Uploads: PDF/PNG/JPEG up to 5 MB, checked by content, never by name; refusals are clear
messages and send nothing to Solo."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appointments.models import Attachment
from portal.models import AuditEvent
from portal.sandbox.state import STORE

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture
def nurse(client, alice):
    client.force_login(alice)
    return client


def upload(client, visit, name, content, content_type="application/pdf"):
    return client.post(
        reverse("appointments:attachment_upload", args=[visit.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        follow=True,
    )


def solo_files(visit):
    return [a for a in STORE.all("solo", "attachments") if a["appointmentId"] == str(visit.solo_id)]


def test_a_pdf_is_uploaded_to_solo_and_listed(nurse, book):
    visit = book()
    response = upload(nurse, visit, "discharge.pdf", PDF)
    assert "Attached “discharge.pdf”.".encode() in response.content
    [sent] = solo_files(visit)
    assert (sent["title"], sent["mimeType"], sent["size"]) == (
        "discharge.pdf",
        "application/pdf",
        len(PDF),
    )
    attachment = Attachment.objects.get()
    assert (attachment.solo_id, attachment.size) == (sent["id"], len(PDF))
    assert b"discharge.pdf" in nurse.get(reverse("appointments:detail", args=[visit.pk])).content
    assert AuditEvent.objects.filter(action="appointment.attachment.upload").count() == 1


def test_the_type_comes_from_the_content_not_the_name(nurse, book):
    visit = book()
    upload(nurse, visit, "photo.pdf", PNG, "application/pdf")
    assert solo_files(visit)[0]["mimeType"] == "image/png"


def test_five_megabytes_plus_one_byte_is_refused(nurse, book):
    visit = book()
    too_big = PDF + b"0" * (5 * 1024 * 1024 + 1 - len(PDF))
    response = upload(nurse, visit, "scan.pdf", too_big)
    assert b"The file was not attached. The file is 5.0 MB; Solo accepts at most 5 MB" in (
        response.content
    )
    exactly = PDF + b"0" * (5 * 1024 * 1024 - len(PDF))
    assert b"Attached" in upload(nurse, visit, "max.pdf", exactly).content
    assert [f["size"] for f in solo_files(visit)] == [5 * 1024 * 1024]


def test_an_executable_named_pdf_is_refused(nurse, book):
    visit = book()
    response = upload(nurse, visit, "results.pdf", EXE)
    assert b"Only PDF, PNG and JPEG files can be attached" in response.content
    assert b"its content was checked" in response.content
    assert not solo_files(visit)
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused(nurse, book):
    visit = book()
    response = upload(nurse, visit, "empty.pdf", b"")
    assert b"The file was not attached. The file is empty." in response.content
    assert not solo_files(visit)


def test_removing_an_attachment_deletes_it_in_solo(nurse, book):
    visit = book()
    upload(nurse, visit, "a.pdf", PDF)
    attachment = Attachment.objects.get()
    response = nurse.post(
        reverse("appointments:attachment_delete", args=[visit.pk, attachment.pk]), follow=True
    )
    assert response.status_code == HTTPStatus.OK
    assert solo_files(visit)[0]["deleted"] is True
    attachment.refresh_from_db()
    assert attachment.deleted_at is not None
    assert b"a.pdf" not in nurse.get(reverse("appointments:detail", args=[visit.pk])).content
