"""Uploads: PDF/PNG/JPEG up to 5 MB, checked by content, never by name; refusals are clear
messages and send nothing to Solo."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter

from appointments.models import Attachment
from portal.models import AuditEvent
from portal.sandbox.state import STORE
from tests.appointments.files import make_image, make_pdf, pdf_of_size

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


PDF = make_pdf()
PNG = make_image("PNG")
JPEG = make_image("JPEG")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>\n'


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
    assert (
        b"discharge.pdf"
        in nurse.get(reverse("appointments:attachment_list", args=[visit.pk])).content
    )
    assert AuditEvent.objects.filter(action="appointment.attachment.upload").count() == 1


def test_the_type_comes_from_the_content_not_the_name(nurse, book):
    visit = book()
    upload(nurse, visit, "photo.pdf", PNG, "application/pdf")
    assert solo_files(visit)[0]["mimeType"] == "image/png"


def test_five_megabytes_plus_one_byte_is_refused(nurse, book):
    visit = book()
    too_big = pdf_of_size(5 * 1024 * 1024 + 1)
    response = upload(nurse, visit, "scan.pdf", too_big)
    assert b"The file was not attached. The file is 5.0 MB; Solo accepts at most 5 MB" in (
        response.content
    )
    exactly = pdf_of_size(5 * 1024 * 1024)
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
    assert (
        b"a.pdf" not in nurse.get(reverse("appointments:attachment_list", args=[visit.pk])).content
    )


def test_a_png_and_a_jpeg_are_uploaded(nurse, book):
    visit = book()
    assert "Attached “scan.png”.".encode() in upload(nurse, visit, "scan.png", PNG).content
    assert "Attached “photo.jpg”.".encode() in upload(nurse, visit, "photo.jpg", JPEG).content
    assert [f["mimeType"] for f in solo_files(visit)] == ["image/png", "image/jpeg"]


def test_a_phones_multi_picture_jpeg_is_accepted(nurse, book):
    out = io.BytesIO()
    photo = Image.new("RGB", (8, 8), (10, 120, 10))
    photo.save(out, format="MPO", save_all=True, append_images=[Image.new("RGB", (4, 4))])
    visit = book()
    response = upload(nurse, visit, "photo.jpg", out.getvalue())
    assert "Attached “photo.jpg”.".encode() in response.content
    assert solo_files(visit)[0]["mimeType"] == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.png", b"\x89PNG\r\n\x1a\n" + SVG, "starts like a PNG image but is not a valid one"),
        ("a.png", b"\x89PNG\r\n\x1a\n" + HTML + PNG[-12:], "not a valid one"),
        ("a.png", PNG + HTML, "has other data after its end"),
        ("a.png", PNG[:-40] + PNG[-12:], "not a valid one"),  # truncated pixel data
        ("a.jpg", b"\xff\xd8\xff\xe0" + HTML + b"\xff\xd9", "not a valid one"),
        ("a.jpg", JPEG + SVG, "has other data after its end"),
        ("a.pdf", b"%PDF-1.7\n" + HTML, "starts like a PDF but is not a valid PDF"),
        ("a.pdf", b"%PDF-1.7\n" + SVG + b"%%EOF\n", "starts like a PDF but is not a valid PDF"),
        ("a.pdf", PDF + HTML, "has other data after its end"),
        ("a.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "not a valid PDF"),
    ],
    ids=[
        "png-header-then-svg",
        "png-header-html-iend",
        "png-then-html",
        "png-truncated",
        "jpeg-header-then-html",
        "jpeg-then-svg",
        "pdf-header-then-html",
        "pdf-header-svg-eof",
        "pdf-then-html",
        "pdf-shell",
    ],
)
def test_a_file_that_is_not_wholly_what_it_claims_is_refused(nurse, book, name, content, message):
    visit = book()
    response = upload(nurse, visit, name, content)
    page = response.content.decode()
    assert "The file was not attached." in page
    assert message in page
    assert not solo_files(visit)
    assert not Attachment.objects.exists()


def test_a_password_protected_pdf_is_refused_with_a_reason(nurse, book):
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    visit = book()
    response = upload(nurse, visit, "locked.pdf", out.getvalue())
    assert b"password-protected" in response.content
    assert not solo_files(visit)
