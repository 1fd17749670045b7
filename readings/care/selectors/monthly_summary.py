"""The monthly patient summary: one patient's calendar month (in the patient's time zone) as
clinics file it in the EHR — readings per metric with min/avg/max, days with readings and
device days, alerts by severity with their outcomes, care time, contacts and outreach attempts,
visits that took place, and whether the month's billing is signed.

Every rule is someone else's and is only read here: a reading's day and whether it is device
data are the stored Reading.local_day and Reading.transmitted (readings.billing.device_data,
device_day_expression — the one definition); care minutes and the month's codes are the
billing report's (billing_lines); a visit that took place is appointments'
(visits_taken_place); the signature is signing's (signature_current). A fixed number of
queries, whatever the number of readings (tests/care/test_monthly_summary.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Max, Min, Q
from django.utils import timezone

from appointments.models import Appointment
from appointments.selectors import visits_taken_place
from portal.enrolment_models import PatientDiagnosis
from portal.models import Patient
from readings import billing
from readings.care.models import OutreachAttempt, TimeEntry, contact_entries
from readings.care.outreach_models import OutreachOutcome
from readings.care.selectors.billing_report import BillingLine, billing_lines
from readings.care.signing import signature_current
from readings.care.signing_models import BillingSignature, SignedPatientMonth
from readings.models import Alert, AlertOutcome, Reading, Severity
from readings.units import METRICS, Metric, metric_label

# Listed one by one up to this many; beyond, the counts still cover them all.
LIST_LIMIT = 50
BP_METRICS = (Metric.SYSTOLIC, Metric.DIASTOLIC)


def _number(value: float | None, metric: str) -> str:
    """A value as printed: whole numbers for whole-number metrics (blood pressure, heart rate),
    one decimal otherwise; halves round up, as a clinician rounds (132.5 → 133), not to even."""
    if value is None:
        return "—"
    info = METRICS.get(metric)
    places = Decimal(1) if info is not None and info.integer else Decimal("0.1")
    return str(Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP))


@dataclass
class MetricLine:
    """One metric's month: how many readings, lowest, mean, highest (as text, in the unit
    shown). Blood pressure is one line, systolic/diastolic, counted by its systolic values."""

    label: str
    unit: str
    count: int
    low: str
    mean: str
    high: str


@dataclass
class SeverityCount:
    severity: str
    label: str
    count: int


@dataclass
class MonthlySummary:
    patient: Patient
    month: dt.date  # first day
    last: dt.date  # last day
    to_date: bool  # the month is not over in the patient's zone: figures so far
    zone: str
    diagnoses: list[PatientDiagnosis]
    metrics: list[MetricLine]
    reading_days: int
    device_days: int
    alerts: list[Alert]
    alert_total: int
    severities: list[SeverityCount]
    outcomes: list[tuple[str, int]]  # (label, count) of the month's alerts, "Not recorded" too
    billing: BillingLine
    contacts: list[TimeEntry]
    outreach: list[OutreachAttempt]
    outreach_total: int
    outreach_counts: list[tuple[str, int]]
    visits: list[Appointment]
    signature: BillingSignature | None  # the signature in force
    signed_line: bool  # the patient is on the signed report
    as_of: dt.date  # the month's last day, or today while it is not over

    @property
    def age(self) -> int:
        return self.patient.age_on(self.as_of)

    @property
    def days_counted(self) -> int:
        """The month's days so far (all of them once it is over)."""
        return max(0, (self.as_of - self.month).days + 1)

    @property
    def consent(self) -> str:
        p = self.patient
        if p.consent_on is None:
            return "Not recorded"
        words = f"Given {p.consent_on:%b} {p.consent_on.day}, {p.consent_on:%Y}"
        if p.consent_method:
            words += f", {p.get_consent_method_display().lower()}"
        if p.consent_text_version:
            words += f" (consent text {p.consent_text_version})"
        return words

    @property
    def codes(self) -> str:
        """The month's codes met so far, as the billing report gives them."""
        return ", ".join(self.billing.code_names) or "None"


def default_month(patient: Patient, now: dt.datetime | None = None) -> dt.date:
    """The last complete month in the patient's zone (the summary a clinic files)."""
    today = (now or timezone.now()).astimezone(patient.tz).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_instants(patient: Patient, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the calendar month in the patient's zone, as aware instants."""
    first, last = billing.month_bounds(month)
    zone = patient.tz
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _metric_lines(readings) -> list[MetricLine]:
    rows = {
        r["metric"]: r
        for r in readings.filter(value__isnull=False)
        .values("metric")
        .annotate(n=Count("id"), low=Min("value"), mean=Avg("value"), high=Max("value"))
    }
    order = [m.value for m in Metric]
    lines = []
    if Metric.SYSTOLIC in rows:
        sys, dia = rows[Metric.SYSTOLIC], rows.get(Metric.DIASTOLIC, {})

        def pair(key):
            return f"{_number(sys[key], Metric.SYSTOLIC)}/{_number(dia.get(key), Metric.DIASTOLIC)}"

        lines.append(
            MetricLine("Blood pressure", "mmHg", sys["n"], pair("low"), pair("mean"), pair("high"))
        )
    for metric in sorted(rows, key=lambda m: (order.index(m) if m in order else 99, m)):
        if metric in BP_METRICS and Metric.SYSTOLIC in rows:
            continue
        row = rows[metric]
        info = METRICS.get(metric)
        lines.append(
            MetricLine(
                metric_label(metric),
                info.unit_label if info else "",
                row["n"],
                _number(row["low"], metric),
                _number(row["mean"], metric),
                _number(row["high"], metric),
            )
        )
    return lines


def monthly_summary(
    patient: Patient, month: dt.date, *, now: dt.datetime | None = None
) -> MonthlySummary:
    """The summary of `patient` for the calendar month holding `month` (patient's zone)."""
    now = now or timezone.now()
    first, last = billing.month_bounds(month)
    start, end = month_instants(patient, first)
    today = now.astimezone(patient.tz).date()
    readings = Reading.objects.filter(patient=patient, local_day__gte=first, local_day__lte=last)
    days = readings.aggregate(
        any_day=Count("local_day", distinct=True),
        device=Count(billing.device_day_expression(), filter=billing.device_data(), distinct=True),
    )
    alerts_qs = Alert.objects.filter(
        patient=patient, first_triggered_at__gte=start, first_triggered_at__lt=end
    )
    alert_rows = list(
        alerts_qs.select_related("resolved_by").order_by("first_triggered_at", "id")[
            : LIST_LIMIT + 1
        ]
    )
    by_severity: Counter[str] = Counter()
    by_outcome: Counter[str] = Counter()
    for severity, outcome, n in (
        alerts_qs.values_list("severity", "outcome").annotate(n=Count("id")).order_by()
    ):
        by_severity[severity] += n
        by_outcome[outcome] += n
    outreach_qs = OutreachAttempt.objects.filter(patient=patient, at__gte=start, at__lt=end)
    per_outcome = Counter(
        dict(outreach_qs.values_list("outcome").annotate(n=Count("id")).order_by())
    )
    signature = signature_current(patient.organization, first)
    return MonthlySummary(
        patient=patient,
        month=first,
        last=last,
        to_date=today <= last,
        zone=patient.time_zone,
        diagnoses=list(
            PatientDiagnosis.objects.filter(patient=patient, added_at__lt=end)
            .filter(Q(removed_at__isnull=True) | Q(removed_at__gte=start))
            .order_by("added_at", "id")
        ),
        metrics=_metric_lines(readings),
        reading_days=days["any_day"],
        device_days=days["device"],
        alerts=alert_rows[:LIST_LIMIT],
        alert_total=sum(by_severity.values()),
        severities=[SeverityCount(s.value, s.label, by_severity[s.value]) for s in Severity],
        outcomes=[
            *((o.label, by_outcome[o.value]) for o in AlertOutcome),
            ("Not recorded", by_outcome[""]),
        ],
        billing=billing_lines([patient], first, now=now)[0],
        contacts=list(
            TimeEntry.objects.filter(
                contact_entries(),
                patient=patient,
                deleted_at__isnull=True,
                day__gte=first,
                day__lte=last,
            )
            .select_related("performed_by")
            .order_by("day", "id")
        ),
        outreach=list(outreach_qs.select_related("performed_by").order_by("at", "id")[:LIST_LIMIT]),
        outreach_total=sum(per_outcome.values()),
        outreach_counts=[(o.label, per_outcome[o.value]) for o in OutreachOutcome],
        visits=list(
            visits_taken_place()
            .filter(patient=patient, starts_at__gte=start, starts_at__lt=end)
            .select_related("waiting_room")
            .order_by("starts_at", "id")
        ),
        signature=signature,
        signed_line=signature is not None
        and SignedPatientMonth.objects.filter(signature=signature, patient=patient).exists(),
        as_of=min(today, last),
    )
