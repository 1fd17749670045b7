"""The monthly billing report: per patient, the 30-day periods that end in the month with their
device days, the month's care time, and the codes readings.billing gives them. One query per
kind of evidence, whatever the number of patients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from portal.models import Patient
from readings import billing
from readings.care.contacts import visit_days
from readings.care.models import TimeEntry
from readings.models import Reading

PERIOD = billing.PERIOD_DAYS


@dataclass
class PeriodLine:
    first: dt.date
    last: dt.date
    days: list[dt.date]
    codes: list[billing.CodeLine]
    in_progress: bool
    first_period: bool


@dataclass
class InterpretationLine:
    """99091 for one of the periods listed (billing.interpretation_period)."""

    period: PeriodLine
    outcome: billing.InterpretationPeriod

    @property
    def code(self) -> billing.CodeLine | None:
        return None if self.period.in_progress else self.outcome.code

    @property
    def reason(self) -> str:
        if self.period.in_progress and self.outcome.code:
            return "30 min reached; billed when the period ends"
        return self.outcome.reason


@dataclass
class BillingLine:
    patient: Patient
    episode_start: dt.date | None
    periods: list[PeriodLine]
    time: billing.MonthTime
    management: list[billing.CodeLine]
    shortfall: str
    entries: list[TimeEntry]
    interpretation: list[InterpretationLine] = field(default_factory=list)
    visit_days: list[dt.date] = field(default_factory=list)

    @property
    def codes(self) -> list[billing.CodeLine]:
        """Codes met: completed periods' device codes, the month's management codes and the
        completed periods' 99091."""
        device = [c for p in self.periods if not p.in_progress for c in p.codes]
        interpretation = [i.code for i in self.interpretation if i.code]
        return device + self.management + interpretation

    @property
    def not_billable_entries(self) -> list[TimeEntry]:
        return [e for e in self.entries if not e.billable]

    @property
    def code_names(self) -> list[str]:
        return [c.code for c in self.codes]

    @property
    def device_days(self) -> int:
        return len(self.periods[-1].days) if self.periods else 0


def billing_patients(organization, month: dt.date, query: str = ""):
    """Patients the month's report lists: active, with time logged that month, or discharged
    late enough that a period ending this month holds days before their discharge."""
    first, last = billing.month_bounds(month)
    reach = first - dt.timedelta(days=billing.PERIOD_DAYS - 1)
    qs = Patient.objects.filter(organization=organization).filter(
        Q(is_active=True)
        | Q(time_entries__day__gte=first, time_entries__day__lte=last)
        | Q(is_active=False, discharged_on__gte=reach)
    )
    if query:
        qs = qs.filter(Q(last_name__istartswith=query) | Q(mrn__iexact=query))
    return qs.distinct().order_by("last_name", "first_name", "id")


def billing_lines(patients: list[Patient], month: dt.date, *, now=None) -> list[BillingLine]:
    """The month's codes and evidence per patient, in four queries whatever the count; the
    device-day queries read index entries of the month's periods (plus a probe or two for the
    episode's set-up period), never the patients' whole history."""
    now = now or timezone.now()
    first, last = billing.month_bounds(month)
    ids = [p.pk for p in patients]
    # The stored device days the month's periods can hold (a period ending this month starts
    # at most 29 days before it; the one running today ends at most 29 days after it).
    days = _device_days(ids, first - dt.timedelta(days=PERIOD), last + dt.timedelta(days=PERIOD))
    # Time from the first month a period ending this month touches: 99091 is summed per
    # period and is not billed for a period touching a month billed with management codes.
    time_first = (first - dt.timedelta(days=billing.PERIOD_DAYS - 1)).replace(day=1)
    entries = defaultdict(list)
    for entry in (
        TimeEntry.objects.filter(
            patient_id__in=ids, deleted_at__isnull=True, day__gte=time_first, day__lte=last
        )
        .select_related("author", "performed_by")
        .order_by("day", "id")
    ):
        entries[entry.patient_id].append(entry)
    visits = visit_days(patients, time_first, last)
    for patient in patients:
        if patient.discharged_on is not None:
            # Monitoring ended that day: a device still assigned afterwards counts for nothing.
            days[patient.pk] = {d for d in days[patient.pk] if d <= patient.discharged_on}
    # billing.episode_start and billing.setup_period, by index probes
    starts, setups = _episodes(ids, last + dt.timedelta(days=PERIOD))
    lines = []
    for patient in patients:
        start = starts[patient.pk]
        periods = []
        if start is not None:
            setup = setups.get(patient.pk)
            today = now.astimezone(patient.tz).date()
            spans = billing.periods_ending_in(start, month)
            if first <= today <= last and today >= start and patient.is_active:
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
                            set(in_period), (p_first, p_last), setup=(p_first, p_last) == setup
                        ),
                        in_progress=p_last >= today,
                        first_period=p_first == start,
                    )
                )
        lines.append(
            _time_line(patient, start, periods, entries[patient.pk], visits[patient.pk], first)
        )
    return lines


def _care_time(entry: TimeEntry) -> billing.CareTime:
    return billing.CareTime(
        day=entry.day,
        seconds=entry.seconds,
        counts=entry.counts_toward,
        contact=entry.is_contact,
    )


def _time_line(patient, start, periods, entries, visits, first) -> BillingLine:
    """The month's management codes and each listed period's 99091, from the time entries
    and Solo visits since the first month those periods touch."""
    cares = [_care_time(e) for e in entries]
    months = sorted(
        {first} | {m for p in periods for m in billing.months_overlapping((p.first, p.last))}
    )
    billed = [m for m in months if billing.management_codes(billing.month_time(cares, m, visits))]
    time = billing.month_time(cares, first, visits)
    return BillingLine(
        patient=patient,
        episode_start=start,
        periods=periods,
        time=time,
        management=billing.management_codes(time),
        shortfall=billing.shortfall(time),
        entries=[e for e in entries if (e.day.year, e.day.month) == (first.year, first.month)],
        interpretation=[
            InterpretationLine(p, billing.interpretation_period(cares, (p.first, p.last), billed))
            for p in periods
        ],
        visit_days=sorted(d for d in visits if (d.year, d.month) == (first.year, first.month)),
    )


# --- device days, read by index probes (readings' `reading_device_days`: patient, local_day) ---
def _day(value) -> dt.date:
    # SQLite returns a raw query's dates as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _date_param() -> str:
    return "%s::date" if connection.vendor == "postgresql" else "%s"


def _device_days(ids: list[int], low: dt.date, high: dt.date) -> defaultdict[int, set[dt.date]]:
    """{patient: device days from `low` to `high`}: a skip scan, one index probe per day
    (a DISTINCT would read every reading of those days)."""
    days: defaultdict[int, set[dt.date]] = defaultdict(set)
    if not ids:
        return days
    table, patients = Reading._meta.db_table, Patient._meta.db_table
    on, date = "r.transmitted", _date_param()
    probe = f"SELECT MIN(r.local_day) FROM {table} r WHERE r.patient_id = {{}} AND {on} "  # noqa: S608
    sql = (
        "WITH RECURSIVE d(pid, day) AS ("  # noqa: S608 — table names and placeholders only
        f"SELECT p.id, ({probe.format('p.id')} AND r.local_day >= {date} "
        f"AND r.local_day <= {date}) FROM {patients} p "
        f"WHERE p.id IN ({', '.join(['%s'] * len(ids))}) "
        f"UNION ALL SELECT d.pid, ({probe.format('d.pid')} AND r.local_day > d.day "
        f"AND r.local_day <= {date}) FROM d WHERE d.day IS NOT NULL) "
        "SELECT pid, day FROM d WHERE day IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [low, high, *ids, high])
        for pid, day in cursor.fetchall():
            days[pid].add(_day(day))
    return days


def _episodes(ids: list[int], high: dt.date) -> tuple[dict, dict]:
    """({patient: billing.episode_start}, {patient: billing.setup_period}) in one query: the
    episode starts on the date set, else on the first device day (one index probe); the set-up
    period is the episode's first with SETUP_MIN_DAYS device days (days up to `high` and the
    discharge), found by walking the device days from the start one probe at a time until two
    fall in one period — a probe or two for a patient who sends daily, whatever the length of
    their history."""
    assert billing.SETUP_MIN_DAYS == 2  # the walk compares each day with the one before
    if not ids:
        return {}, {}
    table, patients, date = Reading._meta.db_table, Patient._meta.db_table, _date_param()
    if connection.vendor == "postgresql":
        period = "(({0}) - s.es) / " + str(PERIOD)
    else:
        period = "CAST(julianday({0}) - julianday(s.es) AS INTEGER) / " + str(PERIOD)
    probe = f"SELECT MIN(r.local_day) FROM {table} r WHERE r.patient_id = {{}} AND r.transmitted"  # noqa: S608
    same = f"{period.format('s.prev')} = {period.format('s.day')}"
    sql = (
        "WITH RECURSIVE v(pid, es, hi) AS ("  # noqa: S608 — table names and placeholders only
        f"SELECT p.id, COALESCE(p.monitoring_started_on, ({probe.format('p.id')})), "
        f"CASE WHEN p.discharged_on < {date} THEN p.discharged_on ELSE {date} END "
        f"FROM {patients} p WHERE p.id IN ({', '.join(['%s'] * len(ids))})), "
        "s(pid, es, hi, prev, day) AS ("
        f"SELECT v.pid, v.es, v.hi, CAST(NULL AS date), ({probe.format('v.pid')} "
        "AND r.local_day >= v.es AND r.local_day <= v.hi) FROM v "
        f"UNION ALL SELECT s.pid, s.es, s.hi, s.day, ({probe.format('s.pid')} "
        "AND r.local_day > s.day AND r.local_day <= s.hi) FROM s "
        f"WHERE s.day IS NOT NULL AND (s.prev IS NULL OR NOT ({same}))) "
        # The start's row (the seed: no day before it), and the set-up day's row.
        "SELECT s.pid, s.es, CASE WHEN s.prev IS NULL THEN NULL ELSE s.day END FROM s "
        f"WHERE s.prev IS NULL OR (s.day IS NOT NULL AND {same})"
    )
    starts: dict[int, dt.date | None] = {}
    setups: dict[int, tuple[dt.date, dt.date]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [high, high, *ids])
        rows = cursor.fetchall()
    for pid, start, setup_day in rows:
        starts[pid] = None if start is None else _day(start)
        if setup_day is not None:
            setups[pid] = billing.period_bounds(_day(start), _day(setup_day))
    return starts, setups
