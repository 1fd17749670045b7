"""Solo visits as the interactive communication 99470/99457 require: a visit that happened
(its status says so) is a real-time video contact with the patient. Care reads the
appointments app's mirror here and nowhere else."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from appointments.models import Appointment
from appointments.selectors import visits_taken_place

# Whether a visit happened is the appointments app's rule (`visits_taken_place`, from the
# status Solo reports and its video call: "completed" / "sign off", or the call complete, and
# never a call that ended "left without being seen" or incomplete); care only reads it.


def visit_happened(appointment: Appointment) -> bool:
    return appointment.took_place


def visit_days(patients, first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    """{patient id: patient-local days with a Solo visit that happened}, for days in
    first..last (one query; the bounds are widened by a day for the zones)."""
    by_id = {p.pk: p for p in patients}
    start = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    out: dict[int, set[dt.date]] = defaultdict(set)
    for pid, at in (
        visits_taken_place()
        .filter(patient_id__in=list(by_id), starts_at__gte=start, starts_at__lt=end)
        .values_list("patient_id", "starts_at")
    ):
        day = at.astimezone(by_id[pid].tz).date()
        if first <= day <= last:
            out[pid].add(day)
    return out


def visits_to_log(patient, *, since: dt.date):
    """The patient's Solo visits that happened since `since`, newest first: the choices when
    staff log a visit's time."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
    return (
        visits_taken_place()
        .filter(patient=patient, starts_at__gte=start)
        .order_by("-starts_at")[:20]
    )
