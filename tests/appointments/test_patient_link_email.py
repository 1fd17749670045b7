"""Emailing the patient their join link: only to a patient who agreed, for an open visit that
has not ended; the message (over real SMTP, to tests/smtp.py's server) carries the visit time
and the link, nothing more; every send is audited, refusals are said in words."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from appointments.services import links
from appointments.services.booking import appointment_cancel
from appointments.services.patients import patient_email_links_consent_record
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)

ADDRESS = "harriet.q@example.org"


@pytest.fixture
def coordinator(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def agreed(solo_patient, bob):
    patient_email_links_consent_record(patient=solo_patient, agreed=True, email=ADDRESS, by=bob)
    return solo_patient


def _send(client, visit):
    response = client.post(reverse("appointments:patient_link_email", args=[visit.pk]))
    assert response.status_code == HTTPStatus.FOUND
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_link_arrives_with_the_visit_time_and_nothing_else(
    coordinator, book, agreed, smtp_server
):
    visit = book(hour=10)
    said = _send(coordinator, visit)
    assert said == [f"The join link was emailed to {ADDRESS}."]
    message = smtp_server.wait_for_message(to=ADDRESS, timeout=10)
    assert message.recipients == [ADDRESS]
    assert message.subject == "Your video visit link"
    body = message.body
    local = timezone.localtime(visit.starts_at, agreed.tz)
    assert f"{local:%A, %B} {local.day}, {local:%Y} at 10:00 AM" in body
    link = next(line for line in body.splitlines() if line.startswith("http"))
    assert "role=patient" in link
    for private in (agreed.first_name, agreed.last_name, agreed.mrn, "BP review", "Cardiology"):
        assert private not in body
        assert private not in message.subject
    event = AuditEvent.objects.get(action="appointment.patient_link.email")
    assert (event.patient, event.object_id, event.detail) == (agreed, str(visit.pk), {"sent": True})


def test_no_agreement_no_email(coordinator, book, solo_patient, smtp_server):
    solo_patient.email = ADDRESS
    solo_patient.save()
    visit = book()
    said = _send(coordinator, visit)
    assert said == [
        "The patient has not agreed to receive visit links by email, so no link was sent. "
        "Record their agreement first."
    ]
    assert smtp_server.messages == []
    assert not AuditEvent.objects.filter(action="appointment.patient_link.email").exists()


def test_no_address_no_email(coordinator, book, agreed, smtp_server):
    agreed.email = ""  # cleared elsewhere (an import) after the agreement was recorded
    agreed.save()
    said = _send(coordinator, book())
    assert said == ["The patient has no email address on file, so no link was sent."]
    assert smtp_server.messages == []


def test_a_cancelled_visit_is_refused(coordinator, book, agreed, bob, smtp_server):
    visit = book()
    appointment_cancel(appointment=visit, reason="Patient asked", by=bob)
    said = _send(coordinator, visit)
    assert said == ["This visit is cancelled: there is nothing to join, so no link was sent."]
    assert smtp_server.messages == []


def test_a_visit_that_is_over_is_refused(coordinator, book, agreed, smtp_server):
    visit = book()
    visit.starts_at = timezone.now() - timedelta(hours=2)
    visit.save()
    said = _send(coordinator, visit)
    assert said == ["This visit is already over, so no link was sent."]
    assert smtp_server.messages == []


def test_a_mail_server_that_does_not_answer_is_said_and_audited(
    coordinator, book, agreed, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard: nothing listens
    settings.EMAIL_TIMEOUT = 2
    said = _send(coordinator, book())
    assert said == ["The mail server did not take the email, so no link was sent. Try again later."]
    assert AuditEvent.objects.get(action="appointment.patient_link.email").detail == {"sent": False}


def test_another_organizations_staff_get_404(client, olga, book, agreed, smtp_server):
    visit = book()
    client.force_login(olga)
    response = client.post(reverse("appointments:patient_link_email", args=[visit.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert smtp_server.messages == []


def test_the_message_says_the_time_in_the_patients_own_zone(book, agreed):
    agreed.time_zone = "America/Los_Angeles"
    agreed.save()
    visit = book(hour=13)  # 13:00 New York
    text = links.patient_link_message(visit, "https://solo.example/join")
    assert "at 10:00 AM PST" in text or "at 10:00 AM PDT" in text
