"""Escalation when nobody acknowledges (issue 17), in process: past the protocol's limit the
alert goes to the next person on the path (alert.escalated_to, an ESCALATED event by nobody
saying how long it waited), who is notified; acknowledged alerts stay put (a claimed one does
not: holding is not acknowledging); a
hand-off by triage (readings.care.signals.alert_handed) notifies the named person."""

import datetime as dt

import pytest
from django.utils import timezone

from readings.care import notifications, services
from readings.care.models import AlertWatch, Notification
from readings.care.notifications_escalation import alerts_escalate_due
from readings.care.signals import alert_handed_after_commit
from readings.models import Alert, AlertEvent
from tests.care.protocol_helpers import line, protocol, with_email
from tests.factories import evaluated

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(org, ada, alice, petra, patient):
    """A critical alert Alice (on call) was notified of; Petra then Ada on the path."""
    for person in (alice, petra, ada):
        with_email(person)
    protocol(org, ada, slots=[line(alice, 0, 24)], path=[alice, petra, ada])
    evaluated(patient, "systolic", 195)
    alert = Alert.objects.get(patient=patient)
    now = timezone.now()
    notifications.alert_raised_notify(alert_id=alert.pk, reason="opened", now=now)
    return alert, now


def test_unacknowledged_past_the_limit_goes_to_the_next_person_not_yet_told(
    raised, petra, django_capture_on_commit_callbacks
):
    alert, start = raised
    assert alerts_escalate_due(now=start + dt.timedelta(minutes=14)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_escalate_due(now=start + dt.timedelta(minutes=15)) == [alert.pk]

    alert.refresh_from_db()
    assert (alert.escalated_to, alert.escalated_at) == (petra, start + dt.timedelta(minutes=15))
    assert alert.status == "open"  # still nobody's: escalation is not an acknowledgement
    event = AlertEvent.objects.get(alert=alert, action="escalated")
    assert event.actor is None
    assert event.note == (
        "Unacknowledged for 15 min: escalated to Petra Staff, next on the protocol's "
        "escalation path."
    )
    # Alice was on call and first on the path: Petra is the next one not yet told.
    assert set(
        Notification.objects.filter(recipient=petra).values_list("channel", "reason", "note")
    ) == {
        ("portal", "escalated", "by the protocol (unacknowledged)"),
        ("email", "escalated", "by the protocol (unacknowledged)"),
    }
    assert AlertWatch.objects.get(alert=alert).due_at == start + dt.timedelta(minutes=30)


def test_the_path_runs_out(raised, ada, django_capture_on_commit_callbacks):
    alert, start = raised
    with django_capture_on_commit_callbacks(execute=True):
        alerts_escalate_due(now=start + dt.timedelta(minutes=15))
        alerts_escalate_due(now=start + dt.timedelta(minutes=30))
    assert Alert.objects.get(pk=alert.pk).escalated_to == ada
    assert alerts_escalate_due(now=start + dt.timedelta(minutes=45)) == []
    assert AlertEvent.objects.filter(alert=alert, action="note").get().note == (
        "Unacknowledged for 45 min; nobody left on the escalation path."
    )
    assert AlertWatch.objects.get(alert=alert).finished_at is not None


def test_an_acknowledged_alert_is_not_escalated(raised, alice):
    alert, start = raised
    services.alert_acknowledge(alert=alert, by=alice, note="calling the patient")
    assert alerts_escalate_due(now=start + dt.timedelta(hours=1)) == []
    assert Alert.objects.get(pk=alert.pk).escalated_to is None
    assert AlertWatch.objects.get(alert=alert).finished_at is not None


def test_a_claimed_but_unacknowledged_alert_still_escalates(raised, alice):
    alert, start = raised
    services.alert_claim(alert=alert, by=alice)
    assert alerts_escalate_due(now=start + dt.timedelta(hours=1)) == [alert.pk]
    assert Alert.objects.get(pk=alert.pk).claimed_by == alice  # the holder keeps it


def test_seconds_limits_say_seconds(org, ada, alice, petra, patient):
    protocol(org, ada, slots=[line(alice, 0, 24)], path=[petra], critical=dt.timedelta(seconds=3))
    evaluated(patient, "systolic", 195)
    alert = Alert.objects.get(patient=patient)
    now = timezone.now()
    notifications.alert_raised_notify(alert_id=alert.pk, reason="opened", now=now)
    alerts_escalate_due(now=now + dt.timedelta(seconds=3))
    assert AlertEvent.objects.get(alert=alert, action="escalated").note.startswith(
        "Unacknowledged for 3 s:"
    )


def test_a_hand_off_by_triage_notifies_the_named_person(
    raised, alice, petra, django_capture_on_commit_callbacks
):
    alert, _ = raised
    with django_capture_on_commit_callbacks(execute=True):
        alert_handed_after_commit(
            alert_id=alert.pk,
            to_user_id=petra.pk,
            by_user_id=alice.pk,
            reason="escalated",
            note="BP 195/110, dizzy",
        )
    rows = Notification.objects.filter(recipient=petra)
    assert {(r.channel, r.reason, r.note) for r in rows} == {
        ("portal", "escalated", "by Alice Staff"),
        ("email", "escalated", "by Alice Staff"),
    }
    assert [n.alert_id for n in notifications.notices_for(petra)] == [alert.pk]


def test_a_hand_off_to_someone_outside_the_organization_notifies_nobody(raised, olga):
    alert, _ = raised
    before = Notification.objects.count()
    notifications.alert_handed_notify(
        alert_id=alert.pk, to_user_id=olga.pk, by_user_id=None, reason="assigned"
    )
    assert Notification.objects.count() == before
