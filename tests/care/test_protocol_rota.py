"""Who hears of a new alert (issue 17): the rota slot of the reading's time on the organization's
clock (its zone, DST days), nobody on call → the first person on the escalation path (and the
record says so), quiet hours for warnings, the protocol's clock started."""

import datetime as dt

import pytest

from readings.care import notifications
from readings.care import protocol as rules
from readings.care.models import AlertWatch, Notification
from readings.models import Alert, AlertEvent
from tests.care.protocol_helpers import MON, SUN, TUE, line, local, protocol, with_email
from tests.factories import evaluated, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def nora(org):
    return with_email(staff(org, "nurse", username="nora", first_name="Nora", last_name="Night"))


@pytest.fixture
def dan(org):
    return with_email(staff(org, "nurse", username="dan", first_name="Dan", last_name="Day"))


@pytest.fixture
def phil(org):
    return with_email(staff(org, "physician", username="phil", first_name="Phil", last_name="Md"))


def on_call_names(p, instant):
    return [u.username for u in rules.on_call(p, instant)[0]]


def test_the_slot_is_read_on_the_organizations_clock(org, ada, nora, dan):
    """Tue 03:00 UTC is Mon 23:00 in New York: Monday's evening slot, not Tuesday's night."""
    p = protocol(org, ada, slots=[line(dan, 20, 24, days=MON), line(nora, 0, 8, days=TUE)])
    assert on_call_names(p, dt.datetime(2026, 7, 14, 3, tzinfo=dt.UTC)) == ["dan"]
    assert on_call_names(p, local(org, 2026, 7, 14, 2)) == ["nora"]  # Tue 02:00 local
    assert on_call_names(p, local(org, 2026, 7, 14, 8)) == []  # the end hour is not in it


def test_an_overnight_slot_runs_into_the_next_morning(org, ada, nora):
    p = protocol(org, ada, slots=[line(nora, 20, 8, days=MON)])
    assert on_call_names(p, local(org, 2026, 7, 13, 22)) == ["nora"]  # Mon 22:00
    assert on_call_names(p, local(org, 2026, 7, 14, 7, 59)) == ["nora"]  # Tue 07:59
    assert on_call_names(p, local(org, 2026, 7, 14, 9)) == []  # Tue 09:00
    assert on_call_names(p, local(org, 2026, 7, 13, 7)) == []  # Mon morning: Sunday's night


def test_spring_forward_night_reads_the_summer_offset(org, ada, nora, dan):
    """8 Mar 2026 in New York: 02:00 EST jumps to 03:00 EDT. 07:30 UTC is 03:30 local (EDT);
    a fixed UTC−5 would call it 02:30 and pick the wrong person."""
    p = protocol(org, ada, slots=[line(nora, 0, 3, days=SUN), line(dan, 3, 8, days=SUN)])
    assert on_call_names(p, dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.UTC)) == ["nora"]  # 01:30
    assert on_call_names(p, dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)) == ["dan"]  # 03:30


def test_fall_back_hour_happens_twice_in_the_same_slot(org, ada, nora, dan):
    """1 Nov 2026: 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST)."""
    p = protocol(org, ada, slots=[line(nora, 1, 2, days=SUN), line(dan, 2, 8, days=SUN)])
    assert on_call_names(p, dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC)) == ["nora"]
    assert on_call_names(p, dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)) == ["nora"]
    assert on_call_names(p, dt.datetime(2026, 11, 1, 7, 30, tzinfo=dt.UTC)) == ["dan"]  # 02:30


def test_a_critical_alert_notifies_the_clinician_on_call_when_it_was_taken(
    org, ada, patient, nora, dan, phil
):
    protocol(org, ada, slots=[line(nora, 0, 8), line(dan, 8, 24)], path=[phil])
    at = local(org, 2026, 7, 14, 2)  # Tue 02:00: Nora's slot, whatever time it is now
    evaluated(patient, "systolic", 192, at=at)
    alert = Alert.objects.get(patient=patient)
    now = at + dt.timedelta(hours=9)  # the reading arrived late, in Dan's slot: still Nora
    rows = notifications.alert_raised_notify(alert_id=alert.pk, reason="opened", now=now)

    assert {(r.recipient.username, r.channel, r.reason, r.status) for r in rows} == {
        ("nora", "portal", "on_call", "delivered"),
        ("nora", "email", "on_call", "pending"),
    }
    assert rows[0].note == "Every day, 00:00–08:00"
    watch = AlertWatch.objects.get(alert=alert)
    assert (watch.started_at, watch.due_at) == (now, now + dt.timedelta(minutes=15))
    assert AlertEvent.objects.filter(alert=alert, action="notified").get().note == (
        "Nora Night (on call: Every day, 00:00–08:00): portal notice, email."
    )


def test_nobody_on_call_goes_to_the_first_on_the_path_and_says_so(org, ada, patient, dan, phil):
    protocol(org, ada, slots=[line(dan, 8, 20)], path=[phil, dan])
    at = local(org, 2026, 7, 14, 2)
    evaluated(patient, "systolic", 192, at=at)
    alert = Alert.objects.get(patient=patient)
    rows = notifications.alert_raised_notify(alert_id=alert.pk, reason="opened", now=at)

    assert {(r.recipient.username, r.reason) for r in rows} == {("phil", "nobody_on_call")}
    assert rows[0].note == "nobody on call at Tue 02:00 America/New_York"
    event = AlertEvent.objects.get(alert=alert, action="notified")
    assert "nobody on call at Tue 02:00" in event.note


def test_nobody_on_call_and_no_path_is_written_on_the_alert(org, ada, patient, dan):
    protocol(org, ada, slots=[line(dan, 8, 20)])
    at = local(org, 2026, 7, 14, 2)
    evaluated(patient, "systolic", 192, at=at)
    alert = Alert.objects.get(patient=patient)
    assert notifications.alert_raised_notify(alert_id=alert.pk, reason="opened", now=at) == []
    assert AlertEvent.objects.get(alert=alert, action="notified").note == (
        "Nobody on call at Tue 02:00 America/New_York and no escalation path: nobody notified."
    )


def test_without_a_protocol_nobody_is_notified(org, patient):
    evaluated(patient, "systolic", 192)
    alert = Alert.objects.get(patient=patient)
    assert notifications.alert_raised_notify(alert_id=alert.pk, reason="opened") == []
    assert not Notification.objects.exists()
    assert not AlertWatch.objects.exists()


def test_a_warning_in_quiet_hours_waits_and_a_critical_one_does_not(org, ada, nora, patient):
    protocol(
        org,
        ada,
        slots=[line(nora, 0, 24)],
        warning_email=True,
        quiet_start=dt.time(22),
        quiet_end=dt.time(7),
    )
    night = local(org, 2026, 7, 14, 23)
    evaluated(patient, "systolic", 165, at=night)  # a warning
    warning = Alert.objects.get(patient=patient)
    rows = notifications.alert_raised_notify(alert_id=warning.pk, reason="opened", now=night)
    morning = local(org, 2026, 7, 15, 7)
    assert {(r.channel, r.due_at) for r in rows} == {("portal", morning), ("email", morning)}
    assert notifications.notices_for(nora, now=night) == []
    assert [n.pk for n in notifications.notices_for(nora, now=morning)] == [rows[0].pk]
    # nobody is escalated over a warning that was held: its clock starts in the morning
    assert AlertWatch.objects.get(alert=warning).due_at == morning + dt.timedelta(hours=4)

    evaluated(patient, "diastolic", 125, at=night)  # critical diastolic: a second alert
    critical = Alert.objects.get(patient=patient, severity="critical")
    rows = notifications.alert_raised_notify(alert_id=critical.pk, reason="opened", now=night)
    assert {r.due_at for r in rows} == {night}


def test_warnings_follow_the_protocols_channels(org, ada, nora, patient):
    protocol(org, ada, slots=[line(nora, 0, 24)], warning_portal=True, warning_email=False)
    evaluated(patient, "systolic", 165)
    alert = Alert.objects.get(patient=patient)
    rows = notifications.alert_raised_notify(alert_id=alert.pk, reason="opened")
    assert [r.channel for r in rows] == ["portal"]


def test_quiet_hours_within_one_day(org, ada):
    p = protocol(org, ada, quiet_start=dt.time(12), quiet_end=dt.time(14))
    assert rules.quiet_until(p, local(org, 2026, 7, 14, 13)) == local(org, 2026, 7, 14, 14)
    assert rules.quiet_until(p, local(org, 2026, 7, 14, 14)) is None
    assert rules.quiet_until(p, local(org, 2026, 7, 14, 11, 59)) is None
