"""The alert queue: the alerts ingestion raised (readings.alerts), as the care team works
them."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404

from readings.models import OPEN_STATUSES, Alert, AlertStatus, Reading, Severity


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
