"""Solo visits as the interactive communication 99470/99457 require: a visit that happened
(its status says so) is a real-time video contact with the patient. Care reads the
appointments app's mirror here and nowhere else."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from appointments.models import Appointment, AppointmentStatus

# The statuses that say the visit happened. Solo reports "completed" when the provider ends
# the visit and "sign off" once its note is signed (seed 003); a cancelled, no-show or
# still-open visit is not a contact. (The vendor issue adds a video-call status: add it here.)
VISIT_HAPPENED = (AppointmentStatus.COMPLETED, AppointmentStatus.SIGNED_OFF)


def visit_happened(appointment: Appointment) -> bool:
    return appointment.status in VISIT_HAPPENED


def visit_days(patients, first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    """{patient id: patient-local days with a Solo visit that happened}, for days in
    first..last (one query; the bounds are widened by a day for the zones)."""
    by_id = {p.pk: p for p in patients}
    start = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    out: dict[int, set[dt.date]] = defaultdict(set)
    for pid, at in Appointment.objects.filter(
        patient_id__in=list(by_id),
        status__in=VISIT_HAPPENED,
        starts_at__gte=start,
        starts_at__lt=end,
    ).values_list("patient_id", "starts_at"):
        day = at.astimezone(by_id[pid].tz).date()
        if first <= day <= last:
            out[pid].add(day)
    return out


def visits_to_log(patient, *, since: dt.date):
    """The patient's Solo visits that happened since `since`, newest first: the choices when
    staff log a visit's time."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    return Appointment.objects.filter(
        patient=patient, status__in=VISIT_HAPPENED, starts_at__gte=start
    ).order_by("-starts_at")[:20]
