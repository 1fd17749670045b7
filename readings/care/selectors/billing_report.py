"""The monthly billing report: per patient, the 30-day periods that end in the month with their
device days, the month's care time, and the codes readings.billing gives them. One query per
kind of evidence, whatever the number of patients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Min, Q
from django.utils import timezone

from portal.models import Patient
from readings import billing
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
    first, last = billing.month_bounds(month)
    qs = Patient.objects.filter(organization=organization).filter(
        Q(is_active=True) | Q(time_entries__day__gte=first, time_entries__day__lte=last)
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
        start = billing.episode_start(
            patient.monitoring_started_on, first_device_day.get(patient.pk)
        )
        periods = []
        if start is not None:
            setup = billing.setup_period(start, days[patient.pk])
            today = now.astimezone(patient.tz).date()
            spans = billing.periods_ending_in(start, month)
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
                            set(in_period), (p_first, p_last), setup=(p_first, p_last) == setup
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
