"""The worklists' queries: one queryset per list, each a filter over the roster's columns
(roster_patients: RosterState on PostgreSQL, the same columns computed on SQLite) with the
rules of readings.care.worklists, so a list and its count cost a fixed number of queries
whatever the organization's size. A page's rows carry the patient's last outreach attempt as
an annotation (no query per row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from appointments.selectors import visits_taken_place
from devices.models import Device, DeviceAssignment, DeviceStatus
from portal.models import Patient
from readings import billing
from readings.care import worklists as rules
from readings.care.contacts import visit_days
from readings.care.models import OutreachAttempt, TimeEntry, contact_entries
from readings.care.outreach_models import OutreachOutcome
from readings.care.selectors.roster import RosterFilters, organization_tz, roster_patients
from readings.models import SEVERITY_RANK, Alert, AlertStatus, Reading

NAMES = ("sort_last", "sort_first", "id")


class Scope:
    """One organization at one instant: the roster's month (the organization's calendar
    month, as the roster's minutes) and what the lists share, computed once per request."""

    def __init__(self, organization, now: dt.datetime | None = None):
        self.organization = organization
        self.now = now or timezone.now()
        self.today = self.now.astimezone(organization_tz(organization)).date()
        self.month_first, self.month_last = billing.month_bounds(self.today)

    @property
    def days_left_in_month(self) -> int:
        """Days of the month not yet past, today included."""
        return (self.month_last - self.today).days + 1

    @cached_property
    def contacted_by_visit(self) -> frozenset[int]:
        """Patients whose month's contact is a Solo visit that happened (two queries; the
        patient-local day is decided by readings.care.contacts.visit_days, as billing does)."""
        start = dt.datetime.combine(self.month_first - dt.timedelta(days=1), dt.time(), dt.UTC)
        end = dt.datetime.combine(self.month_last + dt.timedelta(days=2), dt.time(), dt.UTC)
        visited = (
            visits_taken_place()
            .filter(  # the appointments app's rule, as billing reads it
                organization=self.organization,
                starts_at__gte=start,
                starts_at__lt=end,
            )
            .values("patient_id")
        )
        patients = list(Patient.objects.filter(pk__in=Subquery(visited)))
        return frozenset(visit_days(patients, self.month_first, self.month_last))

    def contact_this_month(self) -> Exists:
        return Exists(
            TimeEntry.objects.filter(
                contact_entries(),
                patient=OuterRef("pk"),
                deleted_at__isnull=True,
                day__gte=self.month_first,
                day__lte=self.month_last,
            )
        )


def _patients(scope: Scope):
    return roster_patients(scope.organization, RosterFilters(), now=scope.now)


def _last_outreach(patient_ref: str):
    latest = OutreachAttempt.objects.filter(patient=OuterRef(patient_ref)).order_by("-at", "-id")
    return {
        "outreach_at": Subquery(latest.values("at")[:1], output_field=DateTimeField()),
        "outreach_outcome": Subquery(latest.values("outcome")[:1]),
    }


def _contact(scope: Scope) -> QuerySet:
    return (
        _patients(scope)
        .exclude(scope.contact_this_month())
        .exclude(pk__in=sorted(scope.contacted_by_visit))
        .order_by("-month_minutes", *NAMES)
    )


def _minutes(scope: Scope, within: int) -> QuerySet:
    return (
        _patients(scope)
        .filter(month_minutes__gt=0)
        .annotate(to_next=rules.minutes_to_next_code_expression("month_minutes"))
        .filter(to_next__lte=within)
        .annotate(has_contact=scope.contact_this_month())
        .order_by("to_next", "-month_minutes", *NAMES)
    )


def _device_days(scope: Scope) -> QuerySet:
    return (
        _patients(scope)
        .filter(period_start__isnull=False)
        .annotate(wl_today=billing.today_expression(scope.now))
        .annotate(elapsed=rules.DaysBetween(F("wl_today"), F("period_start")))
        .filter(rules.at_risk_of_missing_16_filter("period_days", "elapsed"))
        # least slack first: days left minus days needed = period_days - elapsed + constant
        .order_by(F("period_days") - F("elapsed"), *NAMES)
    )


def _no_data(scope: Scope) -> QuerySet:
    last_day = (
        Reading.objects.filter(billing.device_data(), patient=OuterRef("pk"))
        .order_by("-local_day")
        .values("local_day")[:1]
    )
    return (
        _patients(scope)
        .annotate(last_device_day=Subquery(last_day, output_field=DateField()))
        .filter(last_device_day__isnull=False)
        .annotate(wl_today=billing.today_expression(scope.now))
        .annotate(silent=rules.DaysBetween(F("wl_today"), F("last_device_day")))
        .filter(silent__gte=rules.NO_DATA_DAYS)
        .order_by("-silent", *NAMES)
    )


def _never_sent(scope: Scope) -> QuerySet:
    sent = Reading.objects.filter(
        billing.device_data(), device=OuterRef("pk"), patient=OuterRef("assigned_patient")
    )
    since = DeviceAssignment.objects.filter(device=OuterRef("pk"), ended_at__isnull=True)
    return (
        Device.objects.filter(
            organization=scope.organization,
            assigned_patient__organization=scope.organization,
            assigned_patient__is_active=True,
        )
        .exclude(current_status=DeviceStatus.DECOMMISSIONED)
        .exclude(Exists(sent))
        .annotate(
            assigned_at=Subquery(
                since.order_by("-assigned_at").values("assigned_at")[:1],
                output_field=DateTimeField(),
            )
        )
        .select_related("assigned_patient", "item")
        .order_by(
            F("assigned_at").asc(nulls_last=True),
            "assigned_patient__last_name",
            "assigned_patient__first_name",
            "id",
        )
    )


def _unclaimed(scope: Scope) -> QuerySet:
    """Open alerts nobody claimed or acknowledged, older than their tier's limit since the
    portal raised them (created_at: a reading pulled late still gets its full limit)."""
    late = Q(pk__in=[])
    for severity, limit in rules.alert_claim_limits(scope.organization).items():
        late |= Q(severity=severity, created_at__lte=scope.now - limit)
    rank = Case(
        *[When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        Alert.objects.filter(
            late,
            organization=scope.organization,
            status=AlertStatus.OPEN,
            claimed_by__isnull=True,
            acknowledged_at__isnull=True,
        )
        .select_related("patient")
        .annotate(rank=rank)
        .order_by("-rank", "created_at", "id")
    )


def worklist_queryset(scope: Scope, slug: str, *, within: int = rules.DEFAULT_WITHIN_MINUTES):
    """The list's rows, in working order: patients, devices (never-sent) or alerts
    (unclaimed). Unknown list: 404."""
    if slug == rules.CONTACT.slug:
        return _contact(scope)
    if slug == rules.MINUTES.slug:
        return _minutes(scope, within)
    if slug == rules.DEVICE_DAYS.slug:
        return _device_days(scope)
    if slug == rules.NO_DATA.slug:
        return _no_data(scope)
    if slug == rules.NEVER_SENT.slug:
        return _never_sent(scope)
    if slug == rules.UNCLAIMED.slug:
        return _unclaimed(scope)
    raise Http404("No such worklist.")


def worklist_counts(scope: Scope) -> dict[str, int]:
    """{slug: rows on the list}: one count query per list (plus the Solo visits, two)."""
    return {w.slug: worklist_queryset(scope, w.slug).count() for w in rules.WORKLISTS}


@dataclass
class WorklistRow:
    """One row: the patient (annotated with the list's figures and the last outreach), and the
    device or alert the row is about when the list is of devices or alerts."""

    # annotated by the list's queryset (roster columns, the list's figures): typed loosely
    patient: Any
    device: Device | None = None
    alert: Alert | None = None
    scope: Scope | None = None

    @property
    def outreach_at(self) -> dt.datetime | None:
        """When the patient's last outreach attempt was (annotated by with_last_outreach)."""
        return getattr(self.device or self.patient, "outreach_at", None)

    @property
    def outreach_outcome(self) -> str:
        value = getattr(self.device or self.patient, "outreach_outcome", None)
        return OutreachOutcome(value).label if value else ""

    @property
    def next_code(self) -> tuple[str, int]:
        return rules.next_management_code(self.patient.month_minutes)

    @property
    def days_needed(self) -> int:
        return max(0, billing.FULL_SUPPLY_MIN_DAYS - self.patient.period_days)

    @property
    def days_left(self) -> int:
        return billing.PERIOD_DAYS - self.patient.elapsed

    @property
    def has_contact(self) -> bool:
        return bool(getattr(self.patient, "has_contact", False)) or (
            self.scope is not None and self.patient.pk in self.scope.contacted_by_visit
        )


def worklist_rows(scope: Scope, slug: str, objects: list) -> list[WorklistRow]:
    """The page's rows. Patients come annotated with their last outreach attempt by the page's
    own query (worklist_page); devices and alerts bring their patient along."""
    if slug == rules.NEVER_SENT.slug:
        return [WorklistRow(patient=d.assigned_patient, device=d, scope=scope) for d in objects]
    if slug == rules.UNCLAIMED.slug:
        return [WorklistRow(patient=a.patient, alert=a, scope=scope) for a in objects]
    return [WorklistRow(patient=p, scope=scope) for p in objects]


def with_last_outreach(slug: str, queryset: QuerySet) -> QuerySet:
    """The list's queryset annotated with each row's patient's last outreach attempt."""
    if slug == rules.NEVER_SENT.slug:
        return queryset.annotate(**_last_outreach("assigned_patient"))
    if slug == rules.UNCLAIMED.slug:
        return queryset
    return queryset.annotate(**_last_outreach("pk"))
