"""Issue 17's "must show", end to end with a real Celery worker and a real Celery beat (other
processes) and a real SMTP server: a critical reading taken at 02:00 on the organization's
clock emails the clinician on call in that slot; nobody acknowledges; after the protocol's
limit (seconds here) beat's check escalates to the next person on the path, who is emailed;
the escalation is on the alert's history."""

import datetime as dt
import os
import re
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from readings.care.models import AlertWatch, Notification
from readings.models import Alert, AlertEvent
from tests import fake_now
from tests.care.protocol_helpers import line, protocol, with_email
from tests.conftest import wait_for
from tests.factories import evaluated, staff

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = dt.timedelta(seconds=3)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture
def worker_env(smtp_server, monkeypatch):
    """What the worker and beat processes read: mail goes to this test's SMTP server; beat
    checks the protocol's clocks twice a second (30 s in production)."""
    monkeypatch.setenv("EMAIL_URL", smtp_server.url)
    monkeypatch.setenv("ALERT_PROTOCOL_CHECK_SECONDS", "0.5")


@pytest.fixture
def worker(worker_env, celery_worker_process):
    return celery_worker_process


@pytest.fixture
def beat(worker, tmp_path):
    """`celery -A portal beat`, on the session's clock, with its schedule file in tmp_path."""
    log = tmp_path / "beat.log"
    env = {**os.environ, "CELERY_TASK_ALWAYS_EAGER": "0"}
    command = [sys.executable, "-m", *fake_now.python_module("celery"), "-A", "portal", "beat"]
    command += ["-s", str(tmp_path / "beat-schedule"), "--loglevel=INFO"]
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(
            lambda: "Starting" in log.read_text() or proc.poll() is not None,
            timeout=120,
            message="celery beat to start",
        )
        assert proc.poll() is None, log.read_text()
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def last_2am(org) -> dt.datetime:
    """02:00 on the organization's clock, the most recent one that has passed."""
    zone = ZoneInfo(org.time_zone)
    today = timezone.now().astimezone(zone).date()
    for day in (today, today - dt.timedelta(days=1)):
        instant = dt.datetime.combine(day, dt.time(2), tzinfo=zone).astimezone(dt.UTC)
        if instant < timezone.now():
            return instant
    raise AssertionError("unreachable")


def test_a_2am_critical_reading_emails_the_night_nurse_then_escalates_unacknowledged(
    org, ada, patient, smtp_server, beat
):
    nora = with_email(staff(org, "nurse", username="nora", first_name="Nora", last_name="Night"))
    dan = with_email(staff(org, "nurse", username="dan", first_name="Dan", last_name="Day"))
    phil = with_email(staff(org, "physician", username="phil", first_name="Phil", last_name="Md"))
    protocol(org, ada, slots=[line(nora, 0, 8), line(dan, 8, 24)], path=[phil, dan], critical=LIMIT)

    started = time.monotonic()
    evaluated(patient, "systolic", 196, at=last_2am(org))  # committed: the protocol hears of it
    alert = Alert.objects.get(patient=patient)

    paged = smtp_server.wait_for_message(to="nora@clinic.example", timeout=60)
    to_first_email = time.monotonic() - started
    assert paged.subject == "Critical alert needs you — Vitals Portal"
    assert f"/alerts/{alert.pk}/" in paged.body
    assert "A critical alert needs you: you are on call (Every day, 00:00–08:00)." in paged.body
    assert patient.last_name not in paged.body

    # Nobody acknowledges: after the limit beat's check hands it to Phil, who is emailed.
    escalated = smtp_server.wait_for_message(to="phil@clinic.example", timeout=60)
    assert "it was escalated to you by the protocol (unacknowledged)." in escalated.body
    assert f"/alerts/{alert.pk}/" in escalated.body

    alert.refresh_from_db()
    watch = AlertWatch.objects.get(alert=alert)
    assert alert.escalated_to == phil
    assert alert.escalated_at - watch.started_at >= LIMIT  # not before the limit
    event = AlertEvent.objects.get(alert=alert, action="escalated")
    assert event.actor is None
    assert re.fullmatch(
        r"Unacknowledged for \d+ s: escalated to Phil Md, next on the protocol's escalation path\.",
        event.note,
    )
    wait_for(
        lambda: Notification.objects.filter(
            recipient=phil, channel="email", status="delivered"
        ).exists(),
        message="Phil's email recorded as delivered",
    )
    assert set(
        Notification.objects.filter(alert=alert).values_list("recipient__username", "channel")
    ) == {("nora", "portal"), ("nora", "email"), ("phil", "portal"), ("phil", "email")}
    assert not [m for m in smtp_server.messages if "dan@clinic.example" in m.recipients]
    # How fast the on-call clinician hears of it (reading committed → message at the server).
    print(f"critical reading to the on-call email: {to_first_email:.2f} s")
