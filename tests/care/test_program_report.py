"""The monthly program report: patients enrolled and active, the shares reaching 16 device
days and 20 minutes (as the billing report counts them), alerts by tier with median times to
acknowledge and resolve, escalations, outcomes, outreach attempts, and each staff member's
minutes and alerts handled — the same on PostgreSQL and SQLite; the page and its CSV."""

import csv
import datetime as dt
import io
from http import HTTPStatus

import pytest
from django.utils import timezone

from portal.models import AuditEvent
from readings.care.models import OutreachAttempt
from readings.care.selectors.program_report import median_minutes, program_report
from readings.models import Alert, AlertAction, AlertEvent, AlertStatus
from tests import clock
from tests.factories import PatientFactory, entry, reading

pytestmark = pytest.mark.both_databases  # medians and shares must agree on both databases

MONTH = dt.date(2026, 10, 1)  # a month long over whenever the test runs (after Nov 2026)


def at(day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An instant on MONTH's `day`, at hour:minute in the organization's zone (New York)."""
    return clock.local_time(MONTH.replace(day=day), PatientFactory.build().tz, hour, minute)


def make_alert(patient, key, severity, raised, acked=None, resolved=None, outcome="", by=None):
    alert = Alert.objects.create(
        organization=patient.organization,
        patient=patient,
        rule_key=key,
        rule_text="Systolic BP at or above 180 mmHg",
        kind="single",
        metric="systolic",
        severity=severity,
        status=AlertStatus.RESOLVED if resolved else AlertStatus.OPEN,
        first_triggered_at=raised,
        last_triggered_at=raised,
        acknowledged_at=acked,
        acknowledged_by=by if acked else None,
        resolved_at=resolved,
        resolved_by=by if resolved else None,
        outcome=outcome,
    )
    Alert.objects.filter(pk=alert.pk).update(created_at=raised)  # auto_now_add otherwise
    for action, when in ((AlertAction.ACKNOWLEDGED, acked), (AlertAction.RESOLVED, resolved)):
        if when:
            event = AlertEvent.objects.create(alert=alert, action=action, actor=by)
            AlertEvent.objects.filter(pk=event.pk).update(at=when)
    return alert


@pytest.fixture
def month_of_work(org, alice, petra, bob):
    start = MONTH - dt.timedelta(days=5)  # the period Sep 26 – Oct 25 ends in October
    full = PatientFactory(organization=org, last_name="Full", monitoring_started_on=start)
    for i in range(16):
        reading(full, "systolic", 120, at=clock.local_time(start + dt.timedelta(days=i), full.tz))
    short = PatientFactory(organization=org, last_name="Short", monitoring_started_on=start)
    for i in range(10, 13):
        reading(short, "systolic", 120, at=clock.local_time(start + dt.timedelta(days=i), short.tz))
    PatientFactory(organization=org, last_name="Idle")  # enrolled, no data, no time
    PatientFactory(organization=org, last_name="Gone", is_active=False)  # not enrolled
    entry(full, alice, minutes=15, day=MONTH.replace(day=3), interactive=True)
    entry(full, alice, seconds=330, day=MONTH.replace(day=4))  # 20 min 30 s: 20 minutes
    entry(short, alice, minutes=5, day=MONTH.replace(day=4))
    entry(short, bob, minutes=7, day=MONTH.replace(day=5))  # a coordinator: not billable
    entry(short, petra, minutes=31, day=MONTH.replace(day=6), activity="interpretation")
    # Critical: acknowledged after 2, 4 and 10 minutes (median 4); resolved after 30 and 50.
    for n, (ack, res) in enumerate(((2, 30), (4, 50), (10, None))):
        raised = at(7 + n)
        make_alert(
            full,
            f"crit{n}",
            "critical",
            raised,
            acked=raised + dt.timedelta(minutes=ack),
            resolved=raised + dt.timedelta(minutes=res) if res else None,
            outcome="contacted" if res else "",
            by=alice,
        )
    # Warning: one resolved straight away after 60 minutes (its first response), one after 3
    # hours: medians 120 (the mean of the two middle values) to acknowledge and to resolve.
    for n, minutes in enumerate((60, 180)):
        raised = at(12 + n)
        make_alert(
            short,
            f"warn{n}",
            "warning",
            raised,
            resolved=raised + dt.timedelta(minutes=minutes),
            outcome="measurement_error",
            by=petra,
        )
    make_alert(short, "info", "information", at(20))  # nobody looked
    make_alert(short, "september", "critical", at(1) - dt.timedelta(days=2))  # not October
    escalated = Alert.objects.get(rule_key="crit2")
    event = AlertEvent.objects.create(alert=escalated, action=AlertAction.ESCALATED, actor=alice)
    AlertEvent.objects.filter(pk=event.pk).update(at=at(9, 13))
    for outcome, day in (("no_answer", 8), ("left_message", 8), ("reached", 9)):
        OutreachAttempt.objects.create(
            organization=org, patient=short, performed_by=bob, at=at(day), medium="phone",
            outcome=outcome,
        )  # fmt: skip
    return org


def test_figures_of_the_month(month_of_work, alice, petra, bob):
    report = program_report(month_of_work, MONTH, now=timezone.now())
    assert (report.enrolled, report.active) == (3, 2)
    assert (report.with_period, report.reached_16, report.share_16) == (2, 1, 50.0)
    assert (report.reached_20, report.share_20) == (1, 33.3)
    assert report.device_days[16] == 1
    assert report.device_days[3] == 1
    assert report.minutes == [1, 1, 0, 1, 0]  # Idle 0; Short 5 (billable); Full 20
    tiers = {t.severity: t for t in report.tiers}
    assert [t.severity for t in report.tiers] == ["critical", "warning", "information"]
    crit, warn, info = tiers["critical"], tiers["warning"], tiers["information"]
    assert (crit.raised, crit.acknowledged, crit.resolved, crit.escalations) == (3, 3, 2, 1)
    assert (crit.median_acknowledge, crit.median_resolve) == (4.0, 40.0)
    assert (warn.raised, warn.median_acknowledge, warn.median_resolve) == (2, 120.0, 120.0)
    assert (info.raised, info.median_acknowledge, info.median_resolve) == (1, None, None)
    assert report.escalations == 1
    assert report.per_day["critical"][6:9] == [1, 1, 1]
    outcomes = {value: n for value, _, n in report.outcomes}
    assert outcomes == {
        "contacted": 2,
        "emergency": 0,
        "medication": 0,
        "measurement_error": 2,
        "no_action": 0,
        "": 0,
    }
    assert {v: n for v, _, n in report.outreach} == {
        "no_answer": 1,
        "left_message": 1,
        "reached": 1,
    }
    staff = {s.username: s for s in report.staff}
    assert (staff["alice"].minutes, staff["alice"].billable_minutes) == (25, 25)
    assert (staff["alice"].alerts_handled, staff["alice"].alerts_resolved) == (3, 2)
    assert (staff["bob"].minutes, staff["bob"].billable_minutes, staff["bob"].outreach) == (
        7,
        0,
        3,
    )
    assert (staff["petra"].minutes, staff["petra"].alerts_handled) == (31, 2)


def test_median_is_the_middle_or_the_mean_of_the_two_middle_values():
    minutes = [dt.timedelta(minutes=m) for m in (10, 2, 4)]
    assert median_minutes(minutes) == 4.0
    assert median_minutes([*minutes, dt.timedelta(minutes=7)]) == 5.5
    assert median_minutes([dt.timedelta(seconds=90)]) == 1.5
    assert median_minutes([]) is None


def test_page_shows_the_figures_charts_and_staff(nurse_client, month_of_work):
    response = nurse_client.get("/reports/program/?month=2026-10")
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Program report · October 2026" in page
    assert "50.0 %" in page
    assert "33.3 %" in page
    assert 'data-report-chart="alerts"' in page
    assert 'id="report-data"' in page
    assert "uPlot-1.6.32.iife.min.js" in page
    assert "4.0 min" in page
    assert "120.0 min" in page
    assert "Alice" in page
    assert AuditEvent.objects.filter(action="program_report.view").count() == 1


def test_csv_has_one_row_per_figure(nurse_client, month_of_work):
    response = nurse_client.get("/reports/program.csv?month=2026-10")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"] == 'attachment; filename="rpm-program-2026-10.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "section", "item", "measure", "value"]
    values = {tuple(r[1:4]): r[4] for r in rows[1:]}
    assert {r[0] for r in rows[1:]} == {"2026-10"}
    assert values[("patients", "all", "enrolled")] == "3"
    assert values[("patients", "all", "share_16_device_days_percent")] == "50.0"
    assert values[("alerts", "critical", "median_minutes_to_acknowledge")] == "4.0"
    assert values[("alerts", "information", "median_minutes_to_resolve")] == ""
    assert values[("outcomes", "measurement_error", "alerts_resolved")] == "2"
    assert values[("outreach", "reached", "attempts")] == "1"
    assert values[("staff", "bob", "outreach_attempts")] == "3"
    assert values[("staff", "alice", "minutes_logged")] == "25"
    assert AuditEvent.objects.filter(action="program_report.export").count() == 1


def test_bad_month(nurse_client, org):
    assert nurse_client.get("/reports/program.csv?month=nope").status_code == 400
    response = nurse_client.get("/reports/program/?month=2026-13", follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "That month is not valid" in response.content.decode()


def test_outsider_sees_none_of_our_figures(client, olga, month_of_work):
    client.force_login(olga)
    page = client.get("/reports/program/?month=2026-10").content.decode()
    assert "Alice" not in page
    rows = list(
        csv.reader(io.StringIO(client.get("/reports/program.csv?month=2026-10").content.decode()))
    )
    values = {tuple(r[1:4]): r[4] for r in rows[1:]}
    assert values[("patients", "all", "enrolled")] == "0"
    assert not [r for r in rows if r[1] == "staff"]
