"""The critical-alert email path kept fast (issue 19, bench figure 6b): the alert protocol's
tasks go to a queue of their own when CELERY_QUEUE_NOTIFICATIONS names one, each worker thread
keeps its SMTP connection open between messages (and replaces one the server dropped), and a
rising tier restarts the protocol's clock in one statement without losing its history."""

import datetime as dt
import runpy
import smtplib
import socket
from pathlib import Path

import pytest
from celery import Celery
from django.utils import timezone

from readings.care import notifications
from readings.care import notifications_email as outbox
from readings.care.models import AlertWatch, Notification
from readings.models import Alert
from tests.care.protocol_helpers import line, protocol, with_email
from tests.factories import evaluated

pytestmark = pytest.mark.django_db

SETTINGS = Path(__file__).resolve().parents[2] / "portal" / "settings.py"
PROTOCOL_TASKS = (
    "readings.care.tasks.notification_email_send",
    "readings.care.tasks.notification_emails_send_due",
    "readings.care.tasks.alerts_escalate_due",
)


def queue_of(routes: dict, task: str) -> str:
    app = Celery(set_as_current=False)
    app.conf.task_routes = routes
    app.conf.task_default_queue = "default"
    route = app.amqp.router.route({}, task)
    return route["queue"].name


def test_the_protocol_tasks_go_to_the_notifications_queue_when_one_is_named(monkeypatch):
    monkeypatch.setenv("CELERY_QUEUE_NOTIFICATIONS", "notifications")
    monkeypatch.setenv("CELERY_QUEUE_SYNC", "sync")
    routes = runpy.run_path(str(SETTINGS))["CELERY_TASK_ROUTES"]

    for task in PROTOCOL_TASKS:
        assert queue_of(routes, task) == "notifications", task
    # Everything else stays where it was: a vendor sync never shares the email's queue.
    assert queue_of(routes, "devices.tasks.devices_sync_all") == "sync"
    assert queue_of(routes, "readings.care.tasks.alerts_check_no_data_all") == "default"


def test_without_the_setting_every_task_stays_on_the_default_queue(monkeypatch):
    """A deployment whose workers serve only `default` keeps sending its emails."""
    monkeypatch.delenv("CELERY_QUEUE_NOTIFICATIONS", raising=False)
    routes = runpy.run_path(str(SETTINGS))["CELERY_TASK_ROUTES"]
    for task in PROTOCOL_TASKS:
        assert queue_of(routes, task) == "default", task


# --- one SMTP connection per worker thread ------------------------------------------------
@pytest.fixture
def connects(monkeypatch):
    """How many SMTP connections were opened."""
    opened = []
    real = smtplib.SMTP.connect

    def connect(self, *args, **kwargs):
        opened.append(args)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "connect", connect)
    outbox._smtp_drop()  # nothing held from an earlier test
    yield opened
    outbox._smtp_drop()


@pytest.fixture
def two_alerts(org, ada, alice, settings):
    """Two critical alerts (two patients) Alice, on call, has an email row for each."""
    from tests.factories import PatientFactory

    settings.PORTAL_BASE_URL = "https://portal.riverside.example"
    with_email(alice)
    protocol(org, ada, slots=[line(alice, 0, 24)])
    rows = []
    for _ in range(2):
        patient = PatientFactory(organization=org)
        evaluated(patient, "systolic", 193)
        alert = Alert.objects.get(patient=patient)
        notifications.alert_raised_notify(alert_id=alert.pk, reason="opened")
        rows.append(Notification.objects.get(alert=alert, channel="email"))
    return rows


def test_consecutive_emails_share_one_smtp_connection(two_alerts, smtp_server, connects):
    for row in two_alerts:
        assert outbox.notification_email_deliver(notification_id=row.pk) == "delivered"
    assert len(smtp_server.messages) == 2
    assert len(connects) == 1


def test_a_connection_the_server_dropped_is_replaced_and_the_email_sent(
    two_alerts, smtp_server, connects
):
    first, second = two_alerts
    assert outbox.notification_email_deliver(notification_id=first.pk) == "delivered"
    # The connection is gone while it was idle (a server's idle timeout, a network blip).
    outbox._held.value[1].connection.sock.shutdown(socket.SHUT_RDWR)

    assert outbox.notification_email_deliver(notification_id=second.pk) == "delivered"
    assert len(connects) == 2
    assert sorted(m.message["Message-ID"] for m in smtp_server.messages) == sorted(
        f"<notification-{r.pk}@portal.riverside.example>" for r in two_alerts
    )
    second.refresh_from_db()
    assert (second.status, second.attempts) == ("delivered", 1)


def test_a_connection_idle_too_long_is_not_reused(two_alerts, smtp_server, connects, monkeypatch):
    monkeypatch.setattr(outbox, "SMTP_REUSE_SECONDS", 0.0)
    for row in two_alerts:
        assert outbox.notification_email_deliver(notification_id=row.pk) == "delivered"
    assert len(connects) == 2


def test_a_server_change_opens_a_connection_to_the_new_one(two_alerts, smtp_server, connects):
    """Settings name another server (a test's own, or a reconfigured worker): the held
    connection is not used for it."""
    from tests.smtp import SmtpServer

    first, second = two_alerts
    outbox.notification_email_deliver(notification_id=first.pk)
    other = SmtpServer()
    other.start()
    try:
        from django.conf import settings

        settings.EMAIL_PORT = other.port
        assert outbox.notification_email_deliver(notification_id=second.pk) == "delivered"
        assert len(other.messages) == 1
        assert len(smtp_server.messages) == 1
    finally:
        other.stop()


# --- the protocol's clock -----------------------------------------------------------------
def test_a_rising_tier_restarts_the_clock_and_keeps_its_start_and_escalations(
    org, ada, alice, patient
):
    with_email(alice)
    protocol(
        org, ada, slots=[line(alice, 0, 24)], critical=dt.timedelta(minutes=15), warning_email=True
    )
    evaluated(patient, "systolic", 165)
    alert = Alert.objects.get(patient=patient)
    t0 = timezone.now()
    notifications.alert_raised_notify(alert_id=alert.pk, reason="opened", now=t0)
    AlertWatch.objects.filter(alert=alert).update(escalations=1, path_position=1)

    Alert.objects.filter(pk=alert.pk).update(severity="critical")
    t1 = t0 + dt.timedelta(minutes=5)
    notifications.alert_raised_notify(alert_id=alert.pk, reason="severity_raised", now=t1)

    watch = AlertWatch.objects.get(alert=alert)
    assert (watch.severity, watch.started_at, watch.due_at) == (
        "critical",
        t0,
        t1 + dt.timedelta(minutes=15),
    )
    assert (watch.escalations, watch.path_position, watch.finished_at) == (1, 1, None)
