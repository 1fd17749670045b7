"""The alert queue: the alerts ingestion raised (readings.alerts), as the care team works
them — in views (new, mine, unclaimed, acknowledged, escalated, resolved), each with its count."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from portal.access import CLINICAL
from portal.models import Role
from readings.models import OPEN_STATUSES, Alert, AlertStatus, Reading, Severity

# Critical first, then warning, then information (the stored text does not sort that way).
SEVERITY_ORDER = Case(
    When(severity=Severity.CRITICAL, then=Value(0)),
    When(severity=Severity.WARNING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
HOLDER_FIELDS = ("patient", "acknowledged_by", "claimed_by", "escalated_to")

# The queue's views, in tab order. "new" is the default: alerts nobody has acknowledged yet
# (acknowledged ones have their own view instead of being mixed in).
QUEUE_VIEWS = {
    "new": "New",
    "mine": "Mine",
    "unclaimed": "Unclaimed",
    "acknowledged": "Acknowledged",
    "escalated": "Escalated",
    # Every open alert, whoever holds it: what the roster's alert chips count.
    "open": "All open",
    "resolved": "Resolved",
}


def _view_filter(view: str, user) -> Q:
    open_ = Q(status__in=OPEN_STATUSES)
    return {
        "new": Q(status=AlertStatus.OPEN),
        # Held by me, or escalated to me (the physician/QHP sees what was handed to them).
        "mine": open_ & (Q(claimed_by=user) | Q(escalated_to=user)),
        "unclaimed": open_ & Q(claimed_by__isnull=True),
        "acknowledged": Q(status=AlertStatus.ACKNOWLEDGED),
        "escalated": Q(status=AlertStatus.ESCALATED),
        "open": open_,
        "resolved": Q(status=AlertStatus.RESOLVED),
    }[view]


def _filtered(organization, *, severity: str, patient) -> QuerySet[Alert]:
    qs = Alert.objects.filter(organization=organization)
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    if patient is not None:
        qs = qs.filter(patient=patient)
    return qs


def alert_queue_view(organization, view: str, *, user, severity: str = "", patient=None):
    """One view of the queue (of one patient's alerts when `patient` is given, a patient the
    caller already checked is the organization's). Critical first, then the longest waiting;
    resolved: latest first."""
    qs = _filtered(organization, severity=severity, patient=patient)
    qs = qs.filter(_view_filter(view, user)).select_related(*HOLDER_FIELDS)
    if view == "resolved":
        return qs.select_related("resolved_by").order_by("-resolved_at", "-id")
    return qs.order_by(SEVERITY_ORDER, "first_triggered_at", "id")


def alert_view_counts(organization, *, user, severity: str = "", patient=None) -> dict:
    """{view: count} for the tabs, in one query whatever the number of alerts."""
    return _filtered(organization, severity=severity, patient=patient).aggregate(
        **{view: Count("pk", filter=_view_filter(view, user)) for view in QUEUE_VIEWS}
    )


def alert_queue(organization, *, status: str = "open", severity: str = "", patient=None):
    """Alerts by status ("open": every status but resolved), as the API and the patient panel
    list them."""
    qs = Alert.objects.filter(organization=organization).select_related(*HOLDER_FIELDS)
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
    return qs.order_by(SEVERITY_ORDER, "first_triggered_at", "id")


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
    return get_object_or_404(
        Alert.objects.select_related(*HOLDER_FIELDS, "resolved_by", "rule"),
        organization=organization,
        pk=pk,
    )


def alert_readings(alert: Alert, limit: int = 200) -> list[Reading]:
    return list(
        Reading.objects.filter(pk__in=alert.links.values("reading_id"))
        .select_related("patient", "device")
        .order_by("-measured_at")[:limit]
    )


def _staff(organization, roles):
    return (
        get_user_model()
        .objects.filter(
            is_active=True, membership__organization=organization, membership__role__in=roles
        )
        .select_related("membership")
        .order_by("first_name", "last_name", "username")
    )


def alert_colleagues(organization):
    """Whom an alert may be assigned to: the organization's active clinical staff."""
    return _staff(organization, CLINICAL)


def alert_physicians(organization):
    """Whom an alert may be escalated to: the organization's active physicians/QHPs."""
    return _staff(organization, (Role.PHYSICIAN,))
