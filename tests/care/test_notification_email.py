"""Notification emails (issue 17) through Django's SMTP backend to a real local SMTP server:
what they carry (the organization's PHI setting, default the tier and a link only), sent after
commit in a Celery task, at most once per row, retried with back-off and recorded as failed
with the error's class."""

import datetime as dt

import pytest
from django.utils import timezone

from readings.care import notifications
from readings.care import notifications_email as outbox
from readings.care.models import Notification
from readings.models import Alert
from tests.care.protocol_helpers import line, protocol, with_email
from tests.factories import evaluated

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_call(org, ada, alice, settings):
    settings.PORTAL_BASE_URL = "https://portal.riverside.example"
    with_email(alice)
    return lambda **extra: protocol(org, ada, slots=[line(alice, 0, 24)], **extra)


@pytest.fixture
def critical(patient):
    evaluated(patient, "systolic", 193)
    return Alert.objects.get(patient=patient)


def notify(alert, capture):
    with capture(execute=True):
        return notifications.alert_raised_notify(alert_id=alert.pk, reason="opened")


def test_by_default_the_email_carries_the_tier_and_a_link_only(
    on_call, critical, patient, smtp_server, django_capture_on_commit_callbacks
):
    on_call()
    notify(critical, django_capture_on_commit_callbacks)

    message = smtp_server.wait_for_message(to="alice@clinic.example", timeout=10)
    assert message.subject == "Critical alert needs you — Vitals Portal"
    assert f"https://portal.riverside.example/alerts/{critical.pk}/" in message.body
    for phi in (patient.first_name, patient.last_name, patient.mrn, "193", "Systolic"):
        assert phi not in message.body
        assert phi not in message.subject
    row = Notification.objects.get(channel="email")
    assert (row.status, row.attempts, row.address) == ("delivered", 1, "alice@clinic.example")
    assert message.message["Message-ID"] == f"<notification-{row.pk}@portal.riverside.example>"


def test_the_rule_setting_adds_what_crossed_without_the_patient(
    on_call, critical, patient, smtp_server, django_capture_on_commit_callbacks
):
    on_call(email_detail="rule")
    notify(critical, django_capture_on_commit_callbacks)
    body = smtp_server.wait_for_message(timeout=10).body
    assert "What crossed: Systolic BP at or above 180 mmHg" in body
    assert patient.last_name not in body
    assert patient.mrn not in body


def test_the_patient_setting_names_the_patient(
    on_call, critical, patient, smtp_server, django_capture_on_commit_callbacks
):
    on_call(email_detail="patient")
    notify(critical, django_capture_on_commit_callbacks)
    body = smtp_server.wait_for_message(timeout=10).body
    assert f"Patient: {patient.last_name}, {patient.first_name}, MRN {patient.mrn}" in body


def test_no_email_leaves_inside_the_transaction(on_call, critical, smtp_server):
    """Without a commit (the test's transaction is never committed) nothing is sent: the task
    is queued on commit."""
    on_call()
    notifications.alert_raised_notify(alert_id=critical.pk, reason="opened")
    assert smtp_server.messages == []
    assert Notification.objects.get(channel="email").status == "pending"


def test_a_row_is_sent_at_most_once(on_call, critical, smtp_server):
    on_call()
    notifications.alert_raised_notify(alert_id=critical.pk, reason="opened")
    row = Notification.objects.get(channel="email")
    assert outbox.notification_email_deliver(notification_id=row.pk) == "delivered"
    assert outbox.notification_email_deliver(notification_id=row.pk) == "delivered"
    smtp_server.wait_for_message(timeout=10)
    assert len(smtp_server.messages) == 1
    assert outbox.notification_emails_due() == []


def test_a_row_left_sending_by_a_dead_worker_is_failed_not_resent(on_call, critical, smtp_server):
    on_call()
    notifications.alert_raised_notify(alert_id=critical.pk, reason="opened")
    row = Notification.objects.get(channel="email")
    Notification.objects.filter(pk=row.pk).update(status="sending", attempts=1)
    assert outbox.notification_email_deliver(notification_id=row.pk) == "sending"
    later = timezone.now() + outbox.STALE_SENDING + dt.timedelta(seconds=1)
    assert outbox.notification_emails_due(now=later) == []
    row.refresh_from_db()
    assert (row.status, row.error) == ("failed", "DeliveryUnknown")
    assert smtp_server.messages == []


def test_a_failing_server_is_retried_with_back_off_then_recorded_failed(
    on_call, critical, settings, client, alice
):
    on_call()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    notifications.alert_raised_notify(alert_id=critical.pk, reason="opened")
    row = Notification.objects.get(channel="email")
    now = timezone.now()

    assert outbox.notification_email_deliver(notification_id=row.pk, now=now) == "pending"
    row.refresh_from_db()
    assert (row.attempts, row.error) == (1, "ConnectionRefusedError")
    assert row.next_attempt_at == now + dt.timedelta(seconds=30)
    assert outbox.notification_emails_due(now=now) == []  # backing off
    assert outbox.notification_email_deliver(notification_id=row.pk, now=now) == "pending"
    assert Notification.objects.get(pk=row.pk).attempts == 1  # nothing tried meanwhile

    for _ in range(outbox.MAX_ATTEMPTS - 1):
        now = Notification.objects.get(pk=row.pk).next_attempt_at
        assert outbox.notification_emails_due(now=now) == [row.pk]
        outbox.notification_email_deliver(notification_id=row.pk, now=now)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error) == ("failed", 5, "ConnectionRefusedError")
    assert outbox.notification_emails_due(now=now + dt.timedelta(days=1)) == []

    client.force_login(alice)
    page = client.get(f"/alerts/{critical.pk}/").content.decode()
    assert "Failed" in page
    assert "ConnectionRefusedError" in page
    assert "after 5 attempts" in page


def test_a_recovered_server_gets_the_retry(on_call, critical, settings, smtp_server):
    on_call()
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9
    notifications.alert_raised_notify(alert_id=critical.pk, reason="opened")
    row = Notification.objects.get(channel="email")
    now = timezone.now()
    outbox.notification_email_deliver(notification_id=row.pk, now=now)
    settings.EMAIL_PORT = port
    later = now + dt.timedelta(seconds=30)
    assert outbox.notification_emails_due(now=later) == [row.pk]
    assert outbox.notification_email_deliver(notification_id=row.pk, now=later) == "delivered"
    smtp_server.wait_for_message(to="alice@clinic.example", timeout=10)


def test_a_clinician_without_an_address_is_recorded_failed(org, ada, patient, alice, critical):
    protocol(org, ada, slots=[line(alice, 0, 24)])  # alice has no email address
    rows = notifications.alert_raised_notify(alert_id=critical.pk, reason="opened")
    email = next(r for r in rows if r.channel == "email")
    assert (email.status, email.error) == ("failed", "NoEmailAddress")
