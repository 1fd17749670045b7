"""The roster: the organization's monitored patients with their columns (last reading, open
alerts, device days this period, minutes this month), and each page's sections.

The roster is one query for its rows plus one per page section (last readings, devices,
appointments); on PostgreSQL its rows are a range of an index of the maintained RosterState, so
a page costs what its rows cost, not what the organization holds. The rules behind the columns
(a reading's day, device data, the episode and its periods) are built by readings.billing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import cached_property

from appointments.selectors import next_appointments as appointments_next
from devices.models import Device
from portal.models import Patient
from portal.staff_services import organization_tz
from readings import billing
from readings.care.models import TimeEntry
from readings.models import OPEN_STATUSES, Alert, Reading, Severity

if TYPE_CHECKING:  # django_stubs_ext comes with django-stubs, a dev dependency: mypy only
    from django_stubs_ext import WithAnnotations


def _count(queryset, column="pk"):
    return Coalesce(
        Subquery(
            queryset.order_by().values("patient").annotate(n=Count(column)).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


# --- roster ---------------------------------------------------------------------------------
# Every order ends in the patient's name and id, so pages never overlap. On PostgreSQL each is
# the key of one RosterState index (care migrations 0003 and 0012).
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
    needs_attention: Q | Exists
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
        # the state's copy on PostgreSQL: the roster_mine index (care 0012)
        mine = (
            "roster_state__primary_nurse_id"
            if connection.vendor == "postgresql"
            else "primary_nurse"
        )
        qs = qs.filter(**{mine: user.pk})
    order = ROSTER_SORTS.get(filters.sort, ROSTER_SORTS["attention"])
    return qs.order_by(*(_nulls_first(o) for o in order))


def _roster_from_state(organization, now):
    """The roster's columns from RosterState, one join, after rolling the organization's rows
    that `now` has moved past (a 30-day period ended, a new month: care_roster_roll, migration
    care 0012). Rolled, every column is exact at `now` and stored, so every sort and filter of
    the page is a range of one index with a LIMIT of one page: rows not due cost two index
    probes, a period's end or a month's turn recomputes those rows once."""
    # Once per organization instance and `now`: a page that counts several worklists rolls
    # once (a second roll at the same instant finds nothing due).
    if getattr(organization, "_roster_rolled_at", None) != now:
        with connection.cursor() as cursor:
            cursor.execute("SELECT care_roster_roll(%s, %s)", [organization.pk, now])
        organization._roster_rolled_at = now
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
        period_start=F("roster_state__period_start"),
        period_days=F("roster_state__period_days"),
        month_minutes=F("roster_state__month_minutes"),
    )


def roster_patients_computed(organization, *, now):
    """The roster's columns computed per patient from the facts (correlated subqueries):
    what the SQLite demo uses and what RosterState must always equal on PostgreSQL. Device
    days are the stored ones (Reading.local_day of transmitted readings); the patient's today
    is computed in Python per zone (billing.today_expression), so both databases agree."""
    month_first, month_last = billing.month_bounds(
        now.astimezone(organization_tz(organization)).date()
    )
    latest = Reading.objects.filter(patient=OuterRef("pk")).order_by("-measured_at", "-id")
    first_device_day = (
        Reading.objects.filter(billing.device_data(), patient=OuterRef("pk"))
        .order_by("local_day")
        .values("local_day")[:1]
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
                        billing.management_time(),
                        patient=OuterRef("pk"),
                        day__gte=month_first,
                        day__lte=month_last,
                    )
                    .order_by()
                    .values("patient")
                    # billable seconds summed, then whole minutes rounded down (integer
                    # division on both databases): billing.whole_minutes
                    .annotate(total=Sum("seconds") / 60)
                    .values("total")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            episode_start=billing.episode_start_expression(
                F("monitoring_started_on"),
                Subquery(first_device_day, output_field=DateField()),
            ),
            local_today=billing.today_expression(now),
        )
        .annotate(
            period_start=billing.period_start_expression(F("episode_start"), F("local_today"))
        )
        .annotate(
            period_days=Coalesce(
                Subquery(
                    Reading.objects.filter(
                        billing.device_data(),
                        patient=OuterRef("pk"),
                        local_day__gte=OuterRef("period_start"),
                    )
                    .annotate(day=billing.device_day_expression())
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


class RosterColumns(TypedDict):
    """The columns of roster_patients that a roster row reads."""

    last_reading_id: int | None
    period_days: int
    month_minutes: int


@dataclass
class RosterRow:
    patient: WithAnnotations[Patient, RosterColumns]
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


def roster_rows(
    patients: list[WithAnnotations[Patient, RosterColumns]], *, now=None
) -> list[RosterRow]:
    """The page's rows with their sections: last readings, devices and next appointments,
    one query each whatever the page size."""
    ids = [p.pk for p in patients]
    # keyed by int | None so a patient without readings (last_reading_id None) finds none
    readings: dict[int | None, Reading] = {
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
    return appointments_next(patient_ids, now=now or timezone.now())


# --- page and counts: bounded, whatever the organization's size -----------------------------
# A count of every matching patient or open alert costs what the organization holds; the
# roster counts at most this many pages past the one shown (and this many alerts), and says
# "more than" beyond: page 1 of a 100,000-patient roster costs what page 1 of 100 costs.
COUNT_PAGES_AHEAD = 20
ALERT_COUNT_CAP = 999


class RosterPaginator(Paginator):
    """Django's paginator with its count bounded: exact up to COUNT_PAGES_AHEAD pages past
    the page asked for, else `capped` (the page says "more than"). Pages past the bound stay
    reachable: each page counts ahead from itself."""

    def __init__(self, object_list, per_page, *, number):
        super().__init__(object_list, per_page)
        try:
            self.asked = max(1, int(number))
        except (TypeError, ValueError):
            self.asked = 1
        self.bound = (self.asked + COUNT_PAGES_AHEAD) * per_page

    @cached_property
    def count(self) -> int:
        # no order: the count stops at the bound whatever index it walks
        patients: QuerySet = self.object_list  # type: ignore[assignment]  # always a QuerySet here
        return patients.order_by()[: self.bound + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.bound

    @property
    def shown_count(self) -> str:
        """The number of matching patients as the page says it."""
        return f"more than {self.bound:,}" if self.capped else f"{self.count:,}"


def roster_page(patients, per_page: int, number):
    return RosterPaginator(patients, per_page, number=number).get_page(number)


def open_alert_counts_bounded(organization) -> dict:
    """Open alerts by severity as the roster's head shows them, each counted up to
    ALERT_COUNT_CAP ("999+" beyond): one query, an index-only range per severity (care 0012),
    whatever the organization holds."""
    table = connection.ops.quote_name(Alert._meta.db_table)
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    one = (
        f"(SELECT count(*) FROM (SELECT 1 FROM {table} WHERE organization_id = %s "  # noqa: S608
        f"AND severity = %s AND status IN ({statuses}) LIMIT %s) counted)"
    )
    params: list = []
    for severity in (Severity.CRITICAL, Severity.WARNING):
        params += [organization.pk, severity.value, *OPEN_STATUSES, ALERT_COUNT_CAP + 1]
    with connection.cursor() as cursor:
        # no input in the text: the table's name and placeholders only
        cursor.execute(f"SELECT {one}, {one}", params)
        critical, warning = cursor.fetchone()
    return {
        "critical": f"{ALERT_COUNT_CAP}+" if critical > ALERT_COUNT_CAP else critical,
        "warning": f"{ALERT_COUNT_CAP}+" if warning > ALERT_COUNT_CAP else warning,
    }
