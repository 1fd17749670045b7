"""The roster's days and minutes columns are stored and rolled (care 0012: a period that has
ended or a month that has turned is recomputed before the roster reads), so every sort is an
index range; the figures must still be exactly what the rules in readings.billing give, on
PostgreSQL (the rolled state) and SQLite (computed per query), after a mix of changes:
readings on several days, one deleted, time logged and deleted, a patient's new time zone,
and the clock moving into a new period and a new month."""

import datetime as dt

import pytest
from django.utils import timezone

from readings import billing
from readings.care import selectors
from readings.care.models import TimeEntry
from readings.models import Reading
from tests import clock
from tests.factories import PatientFactory, entry, reading

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def rule_answer(patient, organization, now) -> tuple[int, int]:
    """(device days in the period holding the patient's today, billable minutes of the
    organization's month), by readings.billing's functions over the stored facts."""
    patient.refresh_from_db()
    days = set(
        Reading.objects.filter(billing.device_data(), patient=patient).values_list(
            "local_day", flat=True
        )
    )
    start = billing.episode_start(patient.monitoring_started_on, min(days, default=None))
    period_days = 0
    if start is not None:
        today = max(now.astimezone(patient.tz).date(), start)
        first, last = billing.period_bounds(start, today)
        period_days = sum(1 for d in days if first <= d <= last)
    month_first, month_last = billing.month_bounds(
        now.astimezone(selectors.organization_tz(organization)).date()
    )
    seconds = sum(
        TimeEntry.objects.filter(
            billing.management_time(), patient=patient, day__gte=month_first, day__lte=month_last
        ).values_list("seconds", flat=True)
    )
    return period_days, billing.whole_minutes(seconds)


def roster_answer(organization, now, sort) -> dict:
    filters = selectors.RosterFilters(sort=sort)
    rows = selectors.roster_patients(organization, filters, now=now)
    return {p.pk: (p.period_days, p.month_minutes) for p in rows}


def check(organization, patients, now):
    expected = {p.pk: rule_answer(p, organization, now) for p in patients}
    for sort in ("days", "minutes"):
        got = roster_answer(organization, now, sort)
        assert got == expected, sort
        order = list(got)
        column = 0 if sort == "days" else 1
        assert [got[pk][column] for pk in order] == sorted(expected[pk][column] for pk in order)


def test_rolled_days_and_minutes_equal_the_rules_after_a_mix_of_changes(org, alice):
    now = timezone.now()
    first = PatientFactory(organization=org, last_name="Abbott", time_zone="America/New_York")
    second = PatientFactory(organization=org, last_name="Baker", time_zone="Pacific/Honolulu")
    third = PatientFactory(organization=org, last_name="Chen", time_zone="Asia/Tokyo")
    patients = [first, second, third]
    first.monitoring_started_on = now.astimezone(first.tz).date() - dt.timedelta(days=25)
    first.save()
    for n in (1, 2, 3, 5, 8):
        reading(first, "heart_rate", 70, at=clock.noon_days_ago(n, first.tz))
    for n in (2, 4):
        reading(second, "weight", 80, at=clock.noon_days_ago(n, second.tz))
    reading(third, "weight", 80, at=clock.noon_days_ago(1, third.tz), manual=True)
    entry(first, alice, minutes=12)
    entry(second, alice, minutes=25)
    doomed = entry(third, alice, minutes=40)
    check(org, patients, now)

    # a reading deleted, time deleted, a new time zone, a late reading before the episode
    Reading.objects.filter(patient=first).order_by("-measured_at").first().delete()
    doomed.deleted_at = now
    doomed.save()
    second.time_zone = "Europe/Berlin"
    second.save()
    reading(second, "weight", 81, at=clock.noon_days_ago(6, second.tz))
    check(org, patients, now)

    # the clock moves on: a new 30-day period for each, a new month for the minutes
    later = now + dt.timedelta(days=35)
    check(org, patients, later)
