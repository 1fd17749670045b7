"""The worklists: who is on each list and in what order, the rules behind each (held to the
billing rules they read), the rows' actions, the navigation's counts, audit, and query counts
constant in the number of patients."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from portal.models import AuditEvent
from readings import billing
from readings.care import worklists as rules
from readings.care.selectors import worklists as selectors
from readings.models import Alert, AlertStatus, Severity
from tests import clock
from tests.factories import AssignedDeviceFactory, PatientFactory, entry, evaluated, reading

pytestmark = pytest.mark.both_databases  # the lists read billing days and minutes


def names(org, slug, **kwargs):
    scope = selectors.Scope(org)
    rows = selectors.worklist_rows(
        scope, slug, list(selectors.worklist_queryset(scope, slug, **kwargs))
    )
    return [r.patient.last_name for r in rows]


# --- the rules, held to readings.billing -----------------------------------------------------
def test_next_management_code_is_where_billing_gives_the_next_code():
    for minutes in range(0, 130):
        code, needed = rules.next_management_code(minutes)
        assert needed >= 1
        at = billing.MonthTime(management_seconds=(minutes + needed) * 60, interactive=True)
        before = billing.MonthTime(management_seconds=(minutes + needed - 1) * 60, interactive=True)
        codes_at = {(c.code, c.units) for c in billing.management_codes(at)}
        codes_before = {(c.code, c.units) for c in billing.management_codes(before)}
        assert codes_at != codes_before, minutes  # something new is billed exactly there
        assert code in {c for c, _ in codes_at}, minutes


def test_at_risk_filter_is_the_rule():
    """The filter's algebra (elapsed days) against the rule (days needed, days left)."""
    reach = billing.PERIOD_DAYS - billing.FULL_SUPPLY_MIN_DAYS
    for period_days in range(0, 31):
        for elapsed in range(0, 30):
            days_left = billing.PERIOD_DAYS - elapsed
            as_filter = (
                period_days < billing.FULL_SUPPLY_MIN_DAYS
                and elapsed >= period_days + reach - rules.AT_RISK_SLACK
                and elapsed <= period_days + reach
            )
            assert as_filter == rules.at_risk_of_missing_16(period_days, days_left)
    assert rules.at_risk_of_missing_16(7, 10)  # 9 needed, 10 left: 9 ≥ 8
    assert not rules.at_risk_of_missing_16(10, 10)  # 6 needed ≥ 8? no
    assert not rules.at_risk_of_missing_16(2, 5)  # 14 needed, 5 left: out of reach


# --- the lists --------------------------------------------------------------------------------
def test_contact_list_is_patients_without_a_contact_this_month(org, alice):
    none = PatientFactory(organization=org, last_name="Nobody")
    close = PatientFactory(organization=org, last_name="Messaged")
    entry(close, alice, minutes=12, activity="secure_message")  # not a contact
    called = PatientFactory(organization=org, last_name="Called")
    entry(called, alice, minutes=3, interactive=True)
    visited = PatientFactory(organization=org, last_name="Visited")
    Appointment.objects.create(
        organization=org,
        patient=visited,
        solo_id=770001,
        starts_at=timezone.now(),
        status=AppointmentStatus.COMPLETED,
    )
    assert names(org, "contact") == [close.last_name, none.last_name]  # most minutes first


def test_minutes_list_is_patients_close_to_the_next_code(org, alice):
    for minutes in (3, 9, 12, 19, 25, 39, 45):
        patient = PatientFactory(organization=org, last_name=f"M{minutes:02d}")
        entry(patient, alice, minutes=minutes)
    PatientFactory(organization=org, last_name="Untouched")  # 0 minutes: not started
    assert names(org, "minutes") == ["M39", "M19", "M09", "M03", "M12"]
    assert names(org, "minutes", within=5) == ["M39", "M19", "M09"]
    assert names(org, "minutes", within=15) == ["M39", "M19", "M09", "M03", "M12", "M45", "M25"]


def _period(org, name, elapsed, device_days):
    """A patient whose episode began `elapsed` days ago, with `device_days` past days of data."""
    patient = PatientFactory(organization=org, last_name=name)
    today = clock.local_day(timezone.now(), patient.tz)
    patient.monitoring_started_on = today - dt.timedelta(days=elapsed)
    patient.save()
    for back in range(1, device_days + 1):
        reading(
            patient,
            "systolic",
            120,
            at=clock.local_time(today - dt.timedelta(days=back), patient.tz),
        )
    return patient


def test_device_days_list_is_patients_at_risk_of_missing_16(org):
    _period(org, "Risky", elapsed=20, device_days=7)  # 9 needed, 10 left
    _period(org, "Riskier", elapsed=22, device_days=9)  # 7 needed, 8 left
    _period(org, "Fine", elapsed=20, device_days=10)  # 6 needed, 10 left
    _period(org, "Lost", elapsed=25, device_days=2)  # 14 needed, 5 left: out of reach
    _period(org, "Gone", elapsed=20, device_days=5)  # 11 needed, 10 left: out of reach
    _period(org, "Full", elapsed=20, device_days=16)
    assert names(org, "device-days") == ["Riskier", "Risky"]  # least slack first
    scope = selectors.Scope(org)
    rows = selectors.worklist_rows(
        scope, "device-days", list(selectors.worklist_queryset(scope, "device-days"))
    )
    assert [(r.days_needed, r.days_left) for r in rows] == [(7, 8), (9, 10)]


def test_no_data_and_never_sent_lists(org):
    tz = PatientFactory.build().tz
    silent = PatientFactory(organization=org, last_name="Silent")
    reading(silent, "systolic", 120, at=clock.noon_days_ago(5, tz))
    recent = PatientFactory(organization=org, last_name="Recent")
    reading(recent, "systolic", 120, at=clock.noon_days_ago(1, tz))
    manual = PatientFactory(organization=org, last_name="Manual")
    reading(manual, "weight", 180, at=clock.noon_days_ago(1, tz), manual=True)
    reading(manual, "systolic", 120, at=clock.noon_days_ago(3, tz))  # the last device day
    quiet = PatientFactory(organization=org, last_name="Unboxed")
    AssignedDeviceFactory(organization=org, assigned_patient=quiet, identifier="NEVER-1")
    assert names(org, "no-data") == ["Silent", "Manual"]
    assert names(org, "never-sent") == ["Unboxed"]
    scope = selectors.Scope(org)
    silent_row = selectors.worklist_queryset(scope, "no-data").first()
    assert silent_row.silent == 5


def test_unclaimed_list_is_alerts_past_their_tier_limit(org, alice):
    now = timezone.now()
    made = {}
    for name in ("CritLate", "CritFresh", "WarnLate", "WarnFresh", "Claimed", "Acked", "Info"):
        patient = PatientFactory(organization=org, last_name=name)
        evaluated(patient, "systolic", 190, at=now - dt.timedelta(hours=1))
        made[name] = Alert.objects.get(patient=patient)
    ages = {
        "CritLate": (Severity.CRITICAL, dt.timedelta(minutes=16)),
        "CritFresh": (Severity.CRITICAL, dt.timedelta(minutes=14)),
        "WarnLate": (Severity.WARNING, dt.timedelta(hours=5)),
        "WarnFresh": (Severity.WARNING, dt.timedelta(hours=3)),
        "Claimed": (Severity.CRITICAL, dt.timedelta(hours=1)),
        "Acked": (Severity.CRITICAL, dt.timedelta(hours=1)),
        "Info": (Severity.INFORMATION, dt.timedelta(days=3)),
    }
    for name, (severity, age) in ages.items():
        Alert.objects.filter(pk=made[name].pk).update(severity=severity, created_at=now - age)
    Alert.objects.filter(pk=made["Claimed"].pk).update(claimed_by=alice, claimed_at=now)
    Alert.objects.filter(pk=made["Acked"].pk).update(
        status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=alice
    )
    assert names(org, "unclaimed-alerts") == ["CritLate", "WarnLate"]


def test_the_unclaimed_limits_are_the_alert_protocols(org, ada):
    from tests.care.protocol_helpers import protocol

    assert rules.alert_claim_limits(org) == rules.DEFAULT_CLAIM_LIMITS  # no protocol yet
    protocol(org, ada, critical=dt.timedelta(minutes=5), warning=dt.timedelta(hours=1))
    assert rules.alert_claim_limits(org) == {
        Severity.CRITICAL: dt.timedelta(minutes=5),
        Severity.WARNING: dt.timedelta(hours=1),
    }


# --- pages ------------------------------------------------------------------------------------
def test_worklist_page_shows_rows_with_their_actions_and_is_audited(nurse_client, org, alice):
    patient = PatientFactory(organization=org, last_name="Quimby", phone="555-0100")
    entry(patient, alice, minutes=12)
    response = nurse_client.get("/worklists/contact/")
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Quimby" in page
    assert f'action="/patients/{patient.pk}/timer/start/"' in page
    assert f'action="/patients/{patient.pk}/outreach/"' in page
    assert 'href="tel:555-0100"' in page
    assert "a contact would bill 99470" in page
    event = AuditEvent.objects.get(action="worklist.view")
    assert event.detail == {"worklist": "contact", "page": 1, "patients": [patient.pk]}


def test_unclaimed_rows_link_to_the_alert_to_claim(nurse_client, org):
    patient = PatientFactory(organization=org)
    evaluated(patient, "systolic", 190, at=timezone.now() - dt.timedelta(hours=1))
    alert = Alert.objects.get(patient=patient)
    Alert.objects.filter(pk=alert.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    page = nurse_client.get("/worklists/unclaimed-alerts/").content.decode()
    assert f'href="/alerts/{alert.pk}/">Open and claim' in page


def test_unknown_worklist_is_404(nurse_client):
    assert nurse_client.get("/worklists/everyone/").status_code == HTTPStatus.NOT_FOUND


def test_navigation_counts_each_list_and_shows_no_patient_data(nurse_client, org, alice):
    patient = PatientFactory(organization=org, last_name="Quimby")
    entry(patient, alice, minutes=8)
    home = nurse_client.get("/roster/").content.decode()
    assert 'hx-get="/worklists/nav/' in home
    response = nurse_client.get("/worklists/nav/")
    page = response.content.decode()
    assert 'href="/worklists/contact/"' in page
    assert "Quimby" not in page
    counts = dict(response.context["lists"])
    assert counts[rules.CONTACT] == 1
    assert counts[rules.MINUTES] == 1  # 8 minutes: 2 from 99470
    assert not AuditEvent.objects.filter(action="worklist.view").exists()


def test_outsider_sees_none_of_our_patients(client, olga, org, alice):
    patient = PatientFactory(organization=org, last_name="Quimby")
    entry(patient, alice, minutes=8)
    client.force_login(olga)
    for slug in [w.slug for w in rules.WORKLISTS]:
        assert b"Quimby" not in client.get(f"/worklists/{slug}/").content
    counts = {w.slug: n for w, n in client.get("/worklists/nav/").context["lists"]}
    assert set(counts.values()) == {0}


# --- query counts -----------------------------------------------------------------------------
def _populate(org, alice, start, count):
    now = timezone.now()
    for i in range(start, start + count):
        p = PatientFactory(organization=org, last_name=f"P{i:03d}", phone="555-0100")
        evaluated(p, "systolic", 190, at=clock.noon_days_ago(4, p.tz))  # silent since
        AssignedDeviceFactory(organization=org, assigned_patient=p)
        entry(p, alice, minutes=5 + i % 10)
        # 1 device day in 15 elapsed: 15 needed, 15 left — at risk
        p.monitoring_started_on = clock.local_day(now, p.tz) - dt.timedelta(days=15)
        p.save()
    Alert.objects.filter(organization=org).update(created_at=now - dt.timedelta(hours=5))


def test_every_worklist_costs_the_same_queries_at_3_and_30_patients(nurse_client, org, alice):
    urls = ["/worklists/", "/worklists/nav/"] + [f"/worklists/{w.slug}/" for w in rules.WORKLISTS]
    counts = []
    for start, n in ((0, 3), (3, 27)):
        _populate(org, alice, start, n)
        per_url = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                response = nurse_client.get(url)
            assert response.status_code == HTTPStatus.OK, url
            per_url.append(len(ctx.captured_queries))
        counts.append(per_url)
        for w in rules.WORKLISTS:  # every list has rows at both sizes
            response = nurse_client.get(f"/worklists/{w.slug}/")
            assert response.context["rows"], (w.slug, n)
    assert counts[0] == counts[1], dict(zip(urls, zip(*counts, strict=True), strict=True))


@pytest.mark.parametrize("count", [3, 30])
def test_worklist_pages_stay_under_a_query_budget(
    nurse_client, org, alice, count, django_assert_max_num_queries
):
    _populate(org, alice, 0, count)
    for w in rules.WORKLISTS:
        # session, user, membership, org, visits (2), page count + rows, 6 counts, audit, save
        with django_assert_max_num_queries(20):
            assert nurse_client.get(f"/worklists/{w.slug}/").status_code == HTTPStatus.OK
