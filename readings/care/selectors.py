"""Every read of care, already filtered by organization.

The roster is one query for its rows plus one per page section (last readings, devices,
appointments); on PostgreSQL its rows are a range of an index of the maintained RosterState, so
a page costs what its rows cost, not what the organization holds. The billing report is one
query per kind of evidence."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from devices.models import Device
from portal import dates
from portal.models import Patient
from readings import billing
from readings.care.models import TimeEntry
from readings.models import OPEN_STATUSES, Alert, AlertStatus, Reading, Severity

DEVICE_DATA = Q(manual=False)  # manual readings are never device data (CMS; readings/billing.py)


# --- SQL helpers ----------------------------------------------------------------------------
class LocalDay(Func):
    """The calendar day of an instant in the patient's time: the offset sent with the reading
    when there is one (what staff are shown, Reading.local_day), else the IANA zone.
    PostgreSQL does the zone arithmetic (DST included); SQLite (the demo) uses the offset."""

    output_field = DateField()

    def __init__(self, instant, zone, offset=None):
        args = [instant, zone] + ([offset] if offset is not None else [])
        super().__init__(*args)

    def as_postgresql(self, compiler, connection, **extra):
        parts = [compiler.compile(e) for e in self.source_expressions]
        (i, ip), (z, zp) = parts[0], parts[1]
        if len(parts) == 2:
            return f"(({i}) AT TIME ZONE ({z}))::date", [*ip, *zp]
        o, op = parts[2]
        sql = (
            f"(CASE WHEN ({o}) IS NULL THEN (({i}) AT TIME ZONE ({z})) "
            f"ELSE (({i}) AT TIME ZONE 'UTC') + ({o}) * INTERVAL '1 second' END)::date"
        )
        return sql, [*op, *ip, *zp, *ip, *op]

    def as_sqlite(self, compiler, connection, **extra):
        parts = [compiler.compile(e) for e in self.source_expressions]
        (i, ip) = parts[0]
        if len(parts) == 2:
            return f"date({i})", [*ip]
        o, op = parts[2]
        return f"date({i}, COALESCE({o}, 0) || ' seconds')", [*ip, *op]


class PeriodStart(Func):
    """First day of the episode's 30-day period that contains `today` (readings/billing.py
    period_bounds, in SQL)."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra):
        (s, sp), (t, tp) = (compiler.compile(e) for e in self.source_expressions)
        days = billing.PERIOD_DAYS
        return (
            f"(({s}) + (GREATEST(({t}) - ({s}), 0) / {days}) * {days})",
            [*sp, *tp, *sp, *sp],
        )

    def as_sqlite(self, compiler, connection, **extra):
        (s, sp), (t, tp) = (compiler.compile(e) for e in self.source_expressions)
        days = billing.PERIOD_DAYS
        return (
            f"date({s}, (MAX(CAST(julianday({t}) - julianday({s}) AS INTEGER), 0) / {days} "
            f"* {days}) || ' days')",
            [*sp, *tp, *sp],
        )


def _count(queryset, column="pk"):
    return Coalesce(
        Subquery(
            queryset.order_by().values("patient").annotate(n=Count(column)).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


# --- roster ---------------------------------------------------------------------------------
# Every order ends in the patient's name and id, so pages never overlap. On PostgreSQL each is
# the key of one RosterState index (models.RosterState.Meta.indexes), except "days" and
# "minutes" whose values depend on the clock (see _roster_from_state).
ROSTER_SORTS = {
    "attention": ("-crit_alerts", "-warn_alerts", "last_at", "sort_last", "sort_first", "id"),
    "name": ("sort_last", "sort_first", "id"),
    "last_reading": ("last_at", "sort_last", "id"),  # oldest (or none) first
    "days": ("period_days", "sort_last", "id"),
    "minutes": ("month_minutes", "sort_last", "id"),
}


@dataclass
class RosterFilters:
    query: str = ""
    attention: bool = False
    no_data_days: int | None = None
    below_16: bool = False
    mine: bool = False
    sort: str = "attention"


def roster_patients(organization, filters: RosterFilters, *, user=None, now=None):
    """The organization's monitored patients with the roster's columns annotated: last_at,
    last_reading_id, crit_alerts, warn_alerts, month_minutes, episode_start, period_start,
    period_days.

    PostgreSQL reads them from the maintained RosterState (a page costs what its rows cost,
    whatever the organization's size: docs/SCALE.md); other databases (the SQLite demo)
    compute them per query with roster_patients_computed, the reference the state is tested
    against."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        qs = _roster_from_state(organization, now)
        needs_attention = Q(crit_alerts__gt=0) | Q(warn_alerts__gt=0)  # the partial index
    else:
        qs = roster_patients_computed(organization, now=now).annotate(
            sort_last=F("last_name"), sort_first=F("first_name")
        )
        needs_attention = Exists(
            Alert.objects.filter(patient=OuterRef("pk"), status__in=OPEN_STATUSES)
        )
    if filters.query:
        q = filters.query.strip()
        qs = qs.filter(
            Q(last_name__istartswith=q) | Q(first_name__istartswith=q) | Q(mrn__iexact=q)
        )
    if filters.attention:
        qs = qs.filter(needs_attention)
    if filters.no_data_days:
        cutoff = now - dt.timedelta(days=filters.no_data_days)
        qs = qs.filter(Q(last_at__isnull=True) | Q(last_at__lt=cutoff))
    if filters.below_16:
        qs = qs.filter(period_days__lt=billing.FULL_SUPPLY_MIN_DAYS)
    if filters.mine and user is not None:
        qs = qs.filter(primary_nurse=user)
    order = ROSTER_SORTS.get(filters.sort, ROSTER_SORTS["attention"])
    return qs.order_by(*(_nulls_first(o) for o in order))


def _roster_from_state(organization, now):
    """The roster's columns from RosterState, one join. The state's period and month are the
    ones current when it was last written; read through the clock here, a period that has
    ended since has no device days yet (any reading since would have rewritten the row) and a
    past month has no minutes in this one — so the values are exact without a job rolling
    them at midnight. Those two are the only sorts and filter (days, minutes, below 16) that
    are not an index range: they evaluate a CASE over the organization's narrow state rows."""
    month_first, _ = month_bounds(now.astimezone(organization_tz(organization)).date())
    current = Q(roster_state__period_end_at__gt=now)
    return Patient.objects.filter(
        organization=organization,
        roster_state__organization=organization,
        roster_state__is_active=True,
    ).annotate(
        last_at=F("roster_state__last_reading_at"),
        last_reading_id=F("roster_state__last_reading_id"),
        crit_alerts=F("roster_state__crit_alerts"),
        warn_alerts=F("roster_state__warn_alerts"),
        sort_last=F("roster_state__last_name"),
        sort_first=F("roster_state__first_name"),
        # A reading stored at year 1 puts the episode's local first day before year 1 (BC),
        # which PostgreSQL holds and Python cannot: shown as the first day Python has.
        episode_start=Case(
            When(roster_state__episode_start__lt=dt.date.min, then=Value(dt.date.min)),
            default=F("roster_state__episode_start"),
            output_field=DateField(),
        ),
        period_start=Case(
            When(current, then=F("roster_state__period_start")),
            default=PeriodStart(
                F("roster_state__episode_start"),
                LocalDay(Value(now, output_field=DateTimeField()), F("time_zone")),
            ),
            output_field=DateField(),
        ),
        period_days=Case(
            When(current, then=F("roster_state__period_days")),
            default=Value(0),
            output_field=IntegerField(),
        ),
        month_minutes=Case(
            When(roster_state__minutes_month=month_first, then=F("roster_state__month_minutes")),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )


def roster_patients_computed(organization, *, now):
    """The roster's columns computed per patient from the facts (correlated subqueries):
    what the SQLite demo uses and what RosterState must always equal on PostgreSQL."""
    month_first, month_last = month_bounds(now.astimezone(organization_tz(organization)).date())
    latest = Reading.objects.filter(patient=OuterRef("pk")).order_by("-measured_at", "-id")
    first_device = (
        Reading.objects.filter(DEVICE_DATA, patient=OuterRef("pk"))
        .order_by("measured_at")
        .values("measured_at")[:1]
    )
    open_alerts = Alert.objects.filter(patient=OuterRef("pk"), status__in=OPEN_STATUSES)
    return (
        Patient.objects.filter(organization=organization, is_active=True)
        .annotate(
            last_at=Subquery(latest.values("measured_at")[:1], output_field=DateTimeField()),
            last_reading_id=Subquery(latest.values("pk")[:1]),
            crit_alerts=_count(open_alerts.filter(severity=Severity.CRITICAL)),
            warn_alerts=_count(open_alerts.filter(severity=Severity.WARNING)),
            month_minutes=Coalesce(
                Subquery(
                    TimeEntry.objects.filter(
                        patient=OuterRef("pk"),
                        deleted_at__isnull=True,
                        day__gte=month_first,
                        day__lte=month_last,
                    )
                    .order_by()
                    .values("patient")
                    .annotate(total=Sum("minutes"))
                    .values("total")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            # Episode start: the date set on the patient, else the first device reading's
            # local day (decision: an episode starts with its first device data).
            episode_start=Coalesce(
                F("monitoring_started_on"),
                LocalDay(Subquery(first_device, output_field=DateTimeField()), F("time_zone")),
            ),
            local_today=LocalDay(Value(now, output_field=DateTimeField()), F("time_zone")),
        )
        .annotate(period_start=PeriodStart(F("episode_start"), F("local_today")))
        .annotate(
            period_days=Coalesce(
                Subquery(
                    Reading.objects.filter(
                        DEVICE_DATA,
                        patient=OuterRef("pk"),
                        # sargable bound for the index; the exact bound is the local day below
                        measured_at__gte=now - dt.timedelta(days=billing.PERIOD_DAYS + 1),
                    )
                    .annotate(
                        day=LocalDay(
                            F("measured_at"), OuterRef("time_zone"), F("patient_tz_offset")
                        )
                    )
                    .filter(day__gte=OuterRef("period_start"))
                    .order_by()
                    .values("patient")
                    .annotate(n=Count("day", distinct=True))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            )
        )
    )


def _nulls_first(name):
    if name == "last_at":
        return F("last_at").asc(nulls_first=True)
    return name


def organization_tz(organization):
    import zoneinfo

    return zoneinfo.ZoneInfo(organization.time_zone)


@dataclass
class RosterRow:
    patient: Patient
    last_reading: Reading | None = None
    devices: list = field(default_factory=list)
    next_appointment: object = None

    @property
    def days_needed(self) -> int:
        return max(0, billing.FULL_SUPPLY_MIN_DAYS - self.patient.period_days)

    @property
    def minutes_status(self) -> str:
        minutes = self.patient.month_minutes
        if minutes >= billing.MGMT_FIRST_MINUTES:
            return "20 min reached ✓"
        if minutes >= billing.MGMT_SHORT_MINUTES:
            return f"10 ✓ · {billing.MGMT_FIRST_MINUTES - minutes} more for 20"
        return f"{billing.MGMT_SHORT_MINUTES - minutes} more for 10"


def roster_rows(patients: list[Patient], *, now=None) -> list[RosterRow]:
    """The page's rows with their sections: last readings, devices and next appointments,
    one query each whatever the page size."""
    ids = [p.pk for p in patients]
    readings = {
        r.pk: r
        for r in Reading.objects.filter(
            pk__in=[p.last_reading_id for p in patients if p.last_reading_id]
        ).select_related("patient")
    }
    devices = defaultdict(list)
    for device in (
        Device.objects.filter(assigned_patient_id__in=ids)
        .select_related("item")
        .order_by("identifier")
    ):
        devices[device.assigned_patient_id].append(device)
    appointments = next_appointments(ids, now=now)
    return [
        RosterRow(
            patient=p,
            last_reading=readings.get(p.last_reading_id),
            devices=devices.get(p.pk, []),
            next_appointment=appointments.get(p.pk),
        )
        for p in patients
    ]


def next_appointments(patient_ids, *, now=None) -> dict:
    """{patient id: next open Solo visit} (one query)."""
    from appointments.selectors import next_appointments as find

    return find(patient_ids, now=now or timezone.now())


# --- alerts ---------------------------------------------------------------------------------
def alert_queue(organization, *, status: str = "open", severity: str = "", patient=None):
    qs = Alert.objects.filter(organization=organization).select_related(
        "patient", "acknowledged_by"
    )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in AlertStatus.values:
        qs = qs.filter(status=status)
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    if patient is not None:
        qs = qs.filter(patient=patient)
    if status == "resolved":
        return qs.order_by("-resolved_at", "-id")
    # Critical first ("critical" sorts before "warning"), then the longest-waiting.
    return qs.order_by("severity", "first_triggered_at", "id")


def open_alert_counts(organization) -> dict:
    rows = (
        Alert.objects.filter(organization=organization, status__in=OPEN_STATUSES)
        .values("severity")
        .annotate(n=Count("pk"))
    )
    counts = {row["severity"]: row["n"] for row in rows}
    return {
        "critical": counts.get(Severity.CRITICAL, 0),
        "warning": counts.get(Severity.WARNING, 0),
        "total": sum(counts.values()),
    }


def alert_for_org(organization, pk) -> Alert:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Alert.objects.select_related("patient", "acknowledged_by", "resolved_by", "rule"),
        organization=organization,
        pk=pk,
    )


def alert_readings(alert: Alert, limit: int = 200) -> list[Reading]:
    return list(
        Reading.objects.filter(pk__in=alert.links.values("reading_id"))
        .select_related("patient", "device")
        .order_by("-measured_at")[:limit]
    )


# --- time log -------------------------------------------------------------------------------
def time_entries_for(patient, *, month: dt.date | None = None):
    qs = TimeEntry.objects.filter(patient=patient, deleted_at__isnull=True).select_related("author")
    if month is not None:
        first, last = month_bounds(month)
        qs = qs.filter(day__gte=first, day__lte=last)
    return qs.order_by("-day", "-id")


def time_entry_for_org(organization, pk) -> TimeEntry:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        TimeEntry.objects.select_related("patient", "author"),
        organization=organization,
        pk=pk,
        deleted_at__isnull=True,
    )


# --- billing --------------------------------------------------------------------------------
@dataclass
class PeriodLine:
    first: dt.date
    last: dt.date
    days: list[dt.date]
    codes: list[billing.CodeLine]
    in_progress: bool
    first_period: bool


@dataclass
class BillingLine:
    patient: Patient
    episode_start: dt.date | None
    periods: list[PeriodLine]
    time: billing.MonthTime
    management: list[billing.CodeLine]
    shortfall: str
    entries: list[TimeEntry]

    @property
    def codes(self) -> list[billing.CodeLine]:
        """Codes met: completed periods' device codes and the month's management codes."""
        return [c for p in self.periods if not p.in_progress for c in p.codes] + self.management

    @property
    def code_names(self) -> list[str]:
        return [c.code for c in self.codes]

    @property
    def device_days(self) -> int:
        return len(self.periods[-1].days) if self.periods else 0


def billing_patients(organization, month: dt.date, query: str = ""):
    """Patients the month's report lists: active, or with time logged that month."""
    first, last = month_bounds(month)
    qs = Patient.objects.filter(organization=organization).filter(
        Q(is_active=True) | Q(time_entries__day__gte=first, time_entries__day__lte=last)
    )
    if query:
        qs = qs.filter(Q(last_name__istartswith=query) | Q(mrn__iexact=query))
    return qs.distinct().order_by("last_name", "first_name", "id")


def periods_ending_in(episode_start: dt.date, month: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The episode's 30-day periods that end in `month`: each period is reported once, in the
    month it completes (decision: a month of 28–31 days holds 0, 1 or 2 period ends)."""
    first, last = month_bounds(month)
    out = []
    index = max(0, (first - episode_start).days // billing.PERIOD_DAYS - 1)
    while True:
        # Clamped: an episode start stored near year 9999 must not overflow the page.
        start = dates.add_days(episode_start, index * billing.PERIOD_DAYS)
        if start > last:
            break
        end = dates.add_days(start, billing.PERIOD_DAYS - 1)
        if first <= end <= last:
            out.append((start, end))
        index += 1
    return out


def billing_lines(patients: list[Patient], month: dt.date, *, now=None) -> list[BillingLine]:
    """The month's codes and evidence per patient, in three queries whatever the count."""
    now = now or timezone.now()
    first, last = month_bounds(month)
    ids = [p.pk for p in patients]
    first_device = dict(
        Reading.objects.filter(DEVICE_DATA, patient_id__in=ids)
        .values("patient")
        .annotate(first=Min("measured_at"))
        .values_list("patient", "first")
    )
    window_start = dt.datetime.combine(
        first - dt.timedelta(days=billing.PERIOD_DAYS + 1), dt.time(), tzinfo=dt.UTC
    )
    window_end = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    days = defaultdict(set)
    for pid, day in (
        Reading.objects.filter(
            DEVICE_DATA,
            patient_id__in=ids,
            measured_at__gte=window_start,
            measured_at__lt=window_end,
        )
        .annotate(day=LocalDay(F("measured_at"), F("patient__time_zone"), F("patient_tz_offset")))
        .values_list("patient", "day")
        .distinct()
    ):
        days[pid].add(day)
    entries = defaultdict(list)
    for entry in (
        TimeEntry.objects.filter(
            patient_id__in=ids, deleted_at__isnull=True, day__gte=first, day__lte=last
        )
        .select_related("author")
        .order_by("day", "id")
    ):
        entries[entry.patient_id].append(entry)
    lines = []
    for patient in patients:
        start = patient.monitoring_started_on
        if start is None and patient.pk in first_device:
            start = dates.local_date(first_device[patient.pk], patient.tz)
        periods = []
        if start is not None:
            today = now.astimezone(patient.tz).date()
            spans = periods_ending_in(start, month)
            if first <= today <= last and today >= start:
                # The period running today ends next month: shown as in progress so staff
                # see where the patient stands; it is billed in the month it ends.
                current = billing.period_bounds(start, today)
                if current not in spans:
                    spans.append(current)
            for p_first, p_last in spans:
                in_period = sorted(d for d in days[patient.pk] if p_first <= d <= p_last)
                periods.append(
                    PeriodLine(
                        first=p_first,
                        last=p_last,
                        days=in_period,
                        codes=billing.device_supply_codes(
                            set(in_period), (p_first, p_last), first_period=p_first == start
                        ),
                        in_progress=p_last >= today,
                        first_period=p_first == start,
                    )
                )
        mine = entries[patient.pk]
        time = billing.month_time(
            [
                billing.CareTime(
                    day=e.day,
                    minutes=e.minutes,
                    interactive=e.interactive,
                    interpretation=e.interpretation,
                )
                for e in mine
            ],
            first,
        )
        lines.append(
            BillingLine(
                patient=patient,
                episode_start=start,
                periods=periods,
                time=time,
                management=billing.management_codes(time),
                shortfall=billing.shortfall(time),
                entries=mine,
            )
        )
    return lines
