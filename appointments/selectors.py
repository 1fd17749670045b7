"""Every read the appointment pages and endpoints need, already scoped to one organization."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.shortcuts import get_object_or_404
from django.utils import timezone

from appointments.models import (
    CLOSED_STATUSES,
    TOOK_PLACE,
    Appointment,
    AssistanceRequest,
    ConsultRequest,
    Episode,
    PatientDocument,
    ReportJob,
    WaitingRoom,
)


def appointments_for(organization):
    return Appointment.objects.filter(organization=organization).select_related(
        "patient", "waiting_room"
    )


def appointment_for_org(organization, pk) -> Appointment:
    """The organization's appointment `pk`, or 404 (another organization's is never 403)."""
    return get_object_or_404(appointments_for(organization), pk=pk)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def appointments_in_range(
    organization, *, start: datetime, end: datetime, waiting_room=None, status: str = ""
):
    qs = appointments_for(organization).filter(starts_at__gte=start, starts_at__lt=end)
    if waiting_room is not None:
        qs = qs.filter(waiting_room=waiting_room)
    if status == "open":
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("starts_at", "id")


def visits_taken_place(queryset=None):
    """The visits that took place — a real-time video contact with the patient (the rule is
    `appointments.models.TOOK_PLACE`: Solo's video call ended complete, or Solo closed the
    visit as completed / signed off and the call did not end "left without being seen" or
    incomplete). Care's roster and billing read visits through this, never by status alone."""
    base = Appointment.objects.all() if queryset is None else queryset
    return base.filter(TOOK_PLACE)


def upcoming_for_patient(patient, limit: int = 10):
    return (
        Appointment.objects.filter(
            patient=patient, starts_at__gte=timezone.now() - timedelta(hours=2)
        )
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("waiting_room")
        .order_by("starts_at")[:limit]
    )


def past_for_patient(patient, limit: int = 5):
    return (
        Appointment.objects.filter(patient=patient)
        .filter(starts_at__lt=timezone.now() - timedelta(hours=2))
        .select_related("waiting_room")
        .order_by("-starts_at")[:limit]
    )


def waiting_rooms_for(organization):
    return WaitingRoom.objects.filter(organization=organization, is_active=True)


def waiting_room_for_org(organization, pk) -> WaitingRoom:
    return get_object_or_404(waiting_rooms_for(organization), pk=pk)


def episodes_for_patient(patient):
    return Episode.objects.filter(patient=patient).order_by("-starts_on", "name")


def report_jobs_for(organization):
    return (
        ReportJob.objects.filter(organization=organization)
        .select_related("requested_by")
        .defer("content")
    )


def report_job_for_org(organization, pk) -> ReportJob:
    return get_object_or_404(ReportJob.objects.filter(organization=organization), pk=pk)


def assistance_requests_for(organization):
    return AssistanceRequest.objects.filter(organization=organization).select_related("created_by")


def next_appointments(patient_ids, *, now: datetime) -> dict[int, Appointment]:
    """{patient id: the patient's next open visit} for these patients, in one query (the
    roster shows it per row)."""
    upcoming = (
        Appointment.objects.filter(patient_id__in=list(patient_ids), starts_at__gte=now)
        .exclude(status__in=CLOSED_STATUSES)
        .order_by("patient_id", "starts_at")
        .only("id", "patient_id", "starts_at", "status")
    )
    found: dict[int, Appointment] = {}
    for visit in upcoming:
        found.setdefault(visit.patient_id, visit)
    return found


def documents_for_patient(patient):
    """The patient documents the portal added in Solo, newest first."""
    return PatientDocument.objects.filter(patient=patient).select_related("added_by")


def consult_requests_for(organization):
    return ConsultRequest.objects.filter(organization=organization).select_related(
        "patient", "requested_by"
    )
