"""The monthly program report of one organization: what a program manager asks for.

Patients and their device days and minutes come from the billing report's own lines
(billing_patients, billing_lines: the same population, periods and minutes as the codes);
alerts, escalations, outcomes, outreach attempts and each staff member's work are counted from
their rows in the organization's calendar month. Medians are taken in Python over the
durations fetched (statistics.median: the middle value, or the mean of the two middle ones),
so SQLite and PostgreSQL give the same figures."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone

from portal.models import Membership, Role
from readings import billing
from readings.care.models import OutreachAttempt, TimeEntry
from readings.care.outreach_models import OutreachOutcome
from readings.care.selectors.billing_report import billing_lines, billing_patients
from readings.care.selectors.roster import organization_tz
from readings.models import (
    SEVERITY_RANK,
    Alert,
    AlertAction,
    AlertEvent,
    AlertOutcome,
    AlertStatus,
    Reading,
    Severity,
)

CHUNK = 500  # patients per billing_lines call (a few queries each)
# What counts as handling an alert, for "alerts handled" per staff member.
HANDLING = (
    AlertAction.ACKNOWLEDGED,
    AlertAction.NOTE,
    AlertAction.ESCALATED,
    AlertAction.RESOLVED,
    AlertAction.CLAIMED,
)
MINUTE_BUCKETS = (
    (0, 0, "0"),
    (1, 9, "1–9"),
    (10, 19, "10–19"),
    (20, 39, "20–39"),
    (40, None, "40+"),
)


def median_minutes(durations: list[dt.timedelta]) -> float | None:
    """The median of `durations` in minutes (one decimal), None when there are none."""
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 60, 1)


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class TierLine:
    severity: str
    label: str
    raised: int = 0
    acknowledged: int = 0
    resolved: int = 0
    escalations: int = 0
    to_acknowledge: list[dt.timedelta] = field(default_factory=list)
    to_resolve: list[dt.timedelta] = field(default_factory=list)

    @property
    def median_acknowledge(self) -> float | None:
        return median_minutes(self.to_acknowledge)

    @property
    def median_resolve(self) -> float | None:
        return median_minutes(self.to_resolve)


@dataclass
class StaffLine:
    user_id: int
    username: str
    name: str
    role: str
    seconds: int = 0
    billable_seconds: int = 0
    alerts_handled: int = 0
    alerts_resolved: int = 0
    outreach: int = 0

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else ""

    @property
    def minutes(self) -> int:
        return billing.whole_minutes(self.seconds)

    @property
    def billable_minutes(self) -> int:
        return billing.whole_minutes(self.billable_seconds)


@dataclass
class ProgramReport:
    month: dt.date
    last: dt.date
    month_over: bool
    enrolled: int = 0
    active: int = 0
    with_period: int = 0  # patients with a 30-day period that ended in the month
    reached_16: int = 0
    reached_20: int = 0
    device_days: list[int] = field(default_factory=lambda: [0] * (billing.PERIOD_DAYS + 1))
    minutes: list[int] = field(default_factory=lambda: [0] * len(MINUTE_BUCKETS))
    tiers: list[TierLine] = field(default_factory=list)
    per_day: dict[str, list[int]] = field(default_factory=dict)
    outcomes: list[tuple[str, str, int]] = field(default_factory=list)
    outreach: list[tuple[str, str, int]] = field(default_factory=list)
    staff: list[StaffLine] = field(default_factory=list)

    @property
    def share_16(self) -> float | None:
        return share(self.reached_16, self.with_period)

    @property
    def share_20(self) -> float | None:
        return share(self.reached_20, self.enrolled)

    @property
    def escalations(self) -> int:
        return sum(t.escalations for t in self.tiers)

    @property
    def outreach_total(self) -> int:
        return sum(n for _, _, n in self.outreach)

    def chart_data(self) -> dict:
        """What the report's charts draw (uPlot, static/js/program_report.js)."""
        days = list(range(1, self.last.day + 1))
        return {
            "alerts": {
                "x": days,
                "series": [
                    {"label": t.label, "severity": t.severity, "y": self.per_day[t.severity]}
                    for t in self.tiers
                ],
            },
            "device_days": {"x": list(range(len(self.device_days))), "y": self.device_days,
                            "mark": billing.FULL_SUPPLY_MIN_DAYS},
            "minutes": {"labels": [b[2] for b in MINUTE_BUCKETS], "y": self.minutes},
        }  # fmt: skip


def _window(organization, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's instants in the organization's time zone: [first midnight, next first)."""
    zone = organization_tz(organization)
    first, last = billing.month_bounds(month)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def program_report(organization, month: dt.date, *, now=None) -> ProgramReport:
    now = now or timezone.now()
    first, last = billing.month_bounds(month)
    start, end = _window(organization, month)
    report = ProgramReport(month=first, last=last, month_over=end <= now)
    _patients(report, organization, first, last, now)
    _alerts(report, organization, start, end)
    _outcomes_and_outreach(report, organization, start, end)
    report.staff = _staff(organization, first, last, start, end)
    return report


def _patients(report, organization, first, last, now) -> None:
    patients = billing_patients(organization, first)
    report.enrolled = patients.count()
    report.active = (
        Reading.objects.filter(
            billing.device_data(),
            patient_id__in=patients.values("pk"),
            local_day__gte=first,
            local_day__lte=last,
        )
        .values("patient_id")
        .distinct()
        .count()
    )
    listed = list(patients)
    for begin in range(0, len(listed), CHUNK):
        for line in billing_lines(listed[begin : begin + CHUNK], first, now=now):
            ended = [p for p in line.periods if not p.in_progress and p.last <= last]
            if ended:
                report.with_period += 1
                best = max(len(p.days) for p in ended)
                report.reached_16 += best >= billing.FULL_SUPPLY_MIN_DAYS
                report.device_days[min(best, billing.PERIOD_DAYS)] += 1
            minutes = line.time.management_minutes
            report.reached_20 += minutes >= billing.MGMT_FIRST_MINUTES
            for i, (low, high, _) in enumerate(MINUTE_BUCKETS):
                if minutes >= low and (high is None or minutes <= high):
                    report.minutes[i] += 1


def _alerts(report, organization, start, end) -> None:
    """Alerts the portal raised in the month, by tier. Time to acknowledge: from when the
    portal raised it to the first response (acknowledged, claimed or resolved, whichever came
    first); to resolve: to its resolution."""
    tiers = {
        str(s): TierLine(str(s), str(s.label))
        for s in sorted(Severity, key=lambda s: -SEVERITY_RANK[s])
    }
    zone = start.tzinfo
    per_day = {s: [0] * report.last.day for s in tiers}
    for severity, raised, acked, claimed, resolved in Alert.objects.filter(
        organization=organization, created_at__gte=start, created_at__lt=end
    ).values_list("severity", "created_at", "acknowledged_at", "claimed_at", "resolved_at"):
        tier = tiers[severity]
        tier.raised += 1
        per_day[severity][raised.astimezone(zone).day - 1] += 1
        responses = [t for t in (acked, claimed, resolved) if t is not None]
        if responses:
            tier.acknowledged += 1
            tier.to_acknowledge.append(max(min(responses) - raised, dt.timedelta()))
        if resolved is not None:
            tier.resolved += 1
            tier.to_resolve.append(max(resolved - raised, dt.timedelta()))
    for severity, n in (
        AlertEvent.objects.filter(
            alert__organization=organization,
            action=AlertAction.ESCALATED,
            at__gte=start,
            at__lt=end,
        )
        .values_list("alert__severity")
        .annotate(n=Count("pk"))
    ):
        tiers[severity].escalations += n
    report.tiers = list(tiers.values())
    report.per_day = per_day


def _outcomes_and_outreach(report, organization, start, end) -> None:
    outcomes = dict(
        Alert.objects.filter(
            organization=organization,
            status=AlertStatus.RESOLVED,
            resolved_at__gte=start,
            resolved_at__lt=end,
        )
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    report.outcomes = [(v, label, outcomes.get(v, 0)) for v, label in AlertOutcome.choices]
    report.outcomes.append(("", "Not recorded", outcomes.get("", 0)))
    outreach = dict(
        OutreachAttempt.objects.filter(organization=organization, at__gte=start, at__lt=end)
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    report.outreach = [(v, label, outreach.get(v, 0)) for v, label in OutreachOutcome.choices]


def _staff(organization, first, last, start, end) -> list[StaffLine]:
    """Per staff member: care time they did (by patient-local day in the month; billable =
    counting toward a code), distinct alerts they handled and resolved, outreach attempts."""
    seconds = {
        row["performed_by"]: row
        for row in TimeEntry.objects.filter(
            organization=organization,
            deleted_at__isnull=True,
            day__gte=first,
            day__lte=last,
            performed_by__isnull=False,
        )
        .values("performed_by")
        .annotate(
            total_seconds=Sum("seconds"),
            billable_seconds=Sum("seconds", filter=~Q(counts_toward=billing.NOT_BILLABLE)),
        )
    }
    events = AlertEvent.objects.filter(
        alert__organization=organization, at__gte=start, at__lt=end, actor__isnull=False
    )
    handled = dict(
        events.filter(action__in=HANDLING)
        .values_list("actor")
        .annotate(n=Count("alert", distinct=True))
    )
    resolved = dict(
        events.filter(action=AlertAction.RESOLVED)
        .values_list("actor")
        .annotate(n=Count("alert", distinct=True))
    )
    outreach = Counter(
        dict(
            OutreachAttempt.objects.filter(organization=organization, at__gte=start, at__lt=end)
            .values_list("performed_by")
            .annotate(n=Count("pk"))
        )
    )
    ids = set(seconds) | set(handled) | set(resolved) | set(outreach)
    roles = defaultdict(str)
    for user_id, role in Membership.objects.filter(user_id__in=ids).values_list("user_id", "role"):
        roles[user_id] = role
    lines = []
    for user in get_user_model().objects.filter(pk__in=ids):
        row = seconds.get(user.pk)
        lines.append(
            StaffLine(
                user_id=user.pk,
                username=user.username,
                name=user.get_full_name() or user.username,
                role=roles[user.pk],
                seconds=(row["total_seconds"] or 0) if row else 0,
                billable_seconds=(row["billable_seconds"] or 0) if row else 0,
                alerts_handled=handled.get(user.pk, 0),
                alerts_resolved=resolved.get(user.pk, 0),
                outreach=outreach.get(user.pk, 0),
            )
        )
    return sorted(lines, key=lambda s: (s.name.lower(), s.user_id))
