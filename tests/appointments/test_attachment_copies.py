"""A visit's attachments: Solo's list, each file opened or downloaded from the copy the portal
kept at upload (Solo offers upload, list and delete only), removal after a confirmation.
Older attachments have no copy and say so in words."""

import uuid
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from appointments.models import Attachment, AttachmentCopy
from portal.models import AuditEvent
from portal.sandbox.state import STORE
from tests.appointments.files import make_image, make_pdf

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)

PDF = make_pdf()
PNG = make_image("PNG")


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


def listed(client, visit, **headers):
    return client.get(reverse("appointments:attachment_list", args=[visit.pk]), **headers)


def file_url(visit, attachment, download=False):
    url = reverse("appointments:attachment_file", args=[visit.pk, attachment.pk])
    return url + ("?download=1" if download else "")


def test_an_uploaded_file_opens_from_the_portals_copy(nurse, book, media_root):
    visit = book()
    upload(nurse, visit, "ecg.pdf", PDF)
    attachment = Attachment.objects.get()
    copy = AttachmentCopy.objects.get(attachment=attachment)
    # The copy is named by the portal, under the organization's folder, not by the uploader.
    assert copy.file.name.startswith(f"attachments/{visit.organization_id}/")
    assert "ecg" not in copy.file.name
    assert (media_root / copy.file.name).read_bytes() == PDF

    page = listed(nurse, visit, HTTP_HX_REQUEST="true").content.decode()
    assert "ecg.pdf" in page
    assert file_url(visit, attachment) in page
    assert "<html" not in page  # the HTMX fragment only

    opened = nurse.get(file_url(visit, attachment))
    assert opened.status_code == HTTPStatus.OK
    assert b"".join(opened.streaming_content) == PDF
    assert opened["Content-Type"] == "application/pdf"
    assert opened["Content-Disposition"] == 'inline; filename="ecg.pdf"'
    assert opened["X-Content-Type-Options"] == "nosniff"
    assert opened["Cache-Control"] == "private, no-store"
    saved = nurse.get(file_url(visit, attachment, download=True))
    assert saved["Content-Disposition"] == 'attachment; filename="ecg.pdf"'
    views = AuditEvent.objects.filter(action="appointment.attachment.view", patient=visit.patient)
    assert views.count() == 2
    assert AuditEvent.objects.filter(action="appointment.attachment.list").count() == 1


def test_a_png_is_served_as_a_png_with_a_safe_name(nurse, book):
    visit = book()
    upload(nurse, visit, 'scan"\r\nX-Evil: 1.png', PNG, content_type="image/png")
    attachment = Attachment.objects.get()
    opened = nurse.get(file_url(visit, attachment, download=True))
    assert opened["Content-Type"] == "image/png"
    assert "\n" not in opened["Content-Disposition"]
    assert "X-Evil:" not in opened.headers
    assert opened["Content-Disposition"].startswith('attachment; filename="scan')
    assert opened["Content-Disposition"].endswith('.png"')


def test_an_attachment_from_before_copies_says_it_cannot_be_opened(nurse, book):
    visit = book()
    item = {
        "id": "8411f863-0895-4300-af13-66b0dafce51d",
        "appointmentId": str(visit.solo_id),
        "title": "MyFileNamTest1.pdf",
        "mimeType": "image/pdf",
        "size": 5744,
        "uploadedAt": "2022-07-19T16:39:07+00:00",
        "deleted": False,
    }  # seed 003's own list item, uploaded before the portal kept copies
    STORE.put("solo", "attachments", item["id"], item)
    old = Attachment.objects.create(
        appointment=visit,
        solo_id=item["id"],
        title=item["title"],
        mime_type="image/pdf",
        size=5744,
        uploaded_at=timezone.now(),
    )
    page = listed(nurse, visit).content.decode()
    assert "MyFileNamTest1.pdf" in page
    assert "Uploaded before the portal kept copies of files, so it cannot be opened here" in page
    assert file_url(visit, old) not in page
    response = nurse.get(file_url(visit, old), follow=True)
    assert "The portal has no copy of this file" in response.content.decode()
    assert not AuditEvent.objects.filter(action="appointment.attachment.view").exists()


def test_a_file_added_in_solo_is_listed_as_having_no_copy(nurse, book):
    visit = book()
    item = {
        "id": str(uuid.uuid4()),
        "appointmentId": str(visit.solo_id),
        "title": "Attachment.png",
        "mimeType": "image/png",
        "size": 85253,
        "uploadedAt": "2022-07-19T11:35:46+00:00",
        "deleted": False,
    }
    STORE.put("solo", "attachments", item["id"], item)
    page = listed(nurse, visit).content.decode()
    assert "Attachment.png" in page
    assert "Added in Solo, not through the portal" in page


def test_when_solo_cannot_list_the_portals_files_are_shown_with_the_reason(nurse, book, faults):
    visit = book()
    upload(nurse, visit, "ecg.pdf", PDF)
    faults.inject("solo", "error", count=5, path_contains="/attachments")
    response = listed(nurse, visit)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Solo&#x27;s list could not be read" in page
    assert "ecg.pdf" in page


def test_removal_asks_first_then_deletes_in_solo_and_the_copy(
    nurse, book, media_root, django_capture_on_commit_callbacks
):
    visit = book()
    upload(nurse, visit, "ecg.pdf", PDF)
    attachment = Attachment.objects.get()
    stored = media_root / attachment.copy.file.name
    url = reverse("appointments:attachment_delete", args=[visit.pk, attachment.pk])
    confirm = nurse.get(url)
    assert "Remove “ecg.pdf”?" in confirm.content.decode()
    attachment.refresh_from_db()
    assert attachment.deleted_at is None
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):  # the copy goes once committed
        done = nurse.post(url, follow=True)
    assert "Removed “ecg.pdf” from Solo and the portal." in done.content.decode()
    [sent] = [a for a in STORE.all("solo", "attachments") if a["id"] == attachment.solo_id]
    assert sent["deleted"] is True
    attachment.refresh_from_db()
    assert attachment.deleted_at is not None
    assert not AttachmentCopy.objects.exists()
    assert not stored.exists()
    assert nurse.get(file_url(visit, attachment)).status_code == HTTPStatus.NOT_FOUND


def test_a_refused_removal_keeps_the_file(nurse, book, faults):
    visit = book()
    upload(nurse, visit, "ecg.pdf", PDF)
    attachment = Attachment.objects.get()
    faults.inject("solo", "error", count=5, path_contains="/attachments/")
    url = reverse("appointments:attachment_delete", args=[visit.pk, attachment.pk])
    response = nurse.post(url, follow=True)
    assert "The file was not removed. Solo did not answer" in response.content.decode()
    attachment.refresh_from_db()
    assert attachment.deleted_at is None
    assert hasattr(attachment, "copy")


def test_a_refused_upload_leaves_no_copy(nurse, book, faults, media_root):
    visit = book()
    faults.inject("solo", "error", count=5, path_contains="/attachments")
    response = upload(nurse, visit, "ecg.pdf", PDF)
    assert "The file was not attached." in response.content.decode()
    assert not Attachment.objects.exists()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


def test_another_organizations_staff_get_404(client, olga, nurse, book):
    visit = book()
    upload(nurse, visit, "ecg.pdf", PDF)
    attachment = Attachment.objects.get()
    client.force_login(olga)
    delete = reverse("appointments:attachment_delete", args=[visit.pk, attachment.pk])
    for method, url in (
        ("get", reverse("appointments:attachment_list", args=[visit.pk])),
        ("get", file_url(visit, attachment)),
        ("get", file_url(visit, attachment, download=True)),
        ("get", delete),
        ("post", delete),
    ):
        assert getattr(client, method)(url).status_code == HTTPStatus.NOT_FOUND, (method, url)
    attachment.refresh_from_db()
    assert attachment.deleted_at is None


def test_an_attachment_of_another_visit_is_not_served_under_this_one(nurse, book):
    first, second = book(hour=10), book(hour=11)
    upload(nurse, first, "ecg.pdf", PDF)
    attachment = Attachment.objects.get()
    assert nurse.get(file_url(second, attachment)).status_code == HTTPStatus.NOT_FOUND
