"""The monthly billing report: per patient, the 30-day periods that end in the month with their
device days, the month's care time, and the codes readings.billing gives them. One query per
kind of evidence, whatever the number of patients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Min, Q
from django.utils import timezone

from portal.models import Patient
from readings import billing
from readings.care.contacts import visit_days
from readings.care.models import TimeEntry
from readings.models import Reading


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
    """The month's codes and evidence per patient, in three queries whatever the count."""
    now = now or timezone.now()
    first, last = billing.month_bounds(month)
    ids = [p.pk for p in patients]
    first_device_day = dict(
        Reading.objects.filter(billing.device_data(), patient_id__in=ids)
        .values("patient")
        .annotate(first=Min("local_day"))
        .values_list("patient", "first")
    )
    # Every stored device day up to the last period shown: the month's periods count theirs,
    # and 99453 goes to the episode's first period with enough (billing.setup_period).
    days = defaultdict(set)
    for pid, day in (
        Reading.objects.filter(
            billing.device_data(),
            patient_id__in=ids,
            local_day__lte=last + dt.timedelta(days=billing.PERIOD_DAYS),
        )
        .annotate(day=billing.device_day_expression())
        .values_list("patient", "day")
        .order_by()  # Reading's default ordering would make DISTINCT keep one row per reading
        .distinct()
    ):
        days[pid].add(day)
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
    lines = []
    for patient in patients:
        start = billing.episode_start(
            patient.monitoring_started_on, first_device_day.get(patient.pk)
        )
        periods = []
        if start is not None:
            setup = billing.setup_period(start, days[patient.pk])
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
