"""A patient with one of every kind the timeline shows, each at a known instant (hours before
`now`), built through the real services where one exists; the vendor-facing ones (device
assignment, Solo visits) are stored as their services would store them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus, VisitNote, WaitingRoom
from devices.models import AssignmentEndReason, DeviceAssignment
from readings.alert_models import AlertAction, AlertEvent
from readings.care import services
from readings.care.models import TimeEntry
from readings.care.outreach import outreach_attempt_log
from readings.models import Alert
from tests.factories import entry, evaluated, reading
from tests.factories.devices import DeviceFactory

# hours before now → what happened then (newest first: the timeline's order)
ORDER = [
    ("device_ended", 1),
    ("visit_note", 2),
    ("visit", 3),
    ("time", 4),
    ("outreach", 5),
    ("call", 6),
    ("alert_resolved", 7),
    ("alert_note", 8),
    ("alert", 9),  # opened by the out-of-range reading of the same instant
    ("reading", 9),
    ("device_assigned", 30),
]


def patient_history(patient, nurse, now=None) -> dict:
    now = now or timezone.now()

    def ago(hours):
        return now - dt.timedelta(hours=hours)

    # A cuff sends both numbers at one instant: a lone systolic would make the patient's
    # latest blood pressure "190/—" whenever it is newer than the demo month's last pair, which
    # depends on the time of day the test runs.
    reading(patient, "systolic", 122, at=ago(10))  # in range: never on the timeline
    reading(patient, "diastolic", 78, at=ago(10))
    high = evaluated(patient, "systolic", 190, at=ago(9))
    reading(patient, "diastolic", 84, at=ago(9))  # in range: only the systolic is on the timeline
    alert = Alert.objects.get(patient=patient)
    services.alert_note_add(alert=alert, by=nurse, note="Called, no answer; will retry.")
    AlertEvent.objects.filter(alert=alert, action=AlertAction.NOTE).update(at=ago(8))
    services.alert_resolve(alert=alert, by=nurse, outcome="contacted", note="Advised rest.")
    Alert.objects.filter(pk=alert.pk).update(resolved_at=ago(7))
    call = entry(patient, nurse, minutes=12, interactive=True, note="Checked on symptoms")
    TimeEntry.objects.filter(pk=call.pk).update(created_at=ago(6))
    attempt = outreach_attempt_log(
        patient=patient, by=nurse, outcome="left_message", medium="phone", now=ago(5)
    )
    review = entry(patient, nurse, minutes=8, note="Reviewed the week")
    TimeEntry.objects.filter(pk=review.pk).update(created_at=ago(4))
    room, _ = WaitingRoom.objects.get_or_create(
        organization=patient.organization, name="Cardiology", defaults={"solo_id": "wr-cardio"}
    )
    visit = Appointment.objects.create(
        organization=patient.organization,
        patient=patient,
        waiting_room=room,
        solo_id=880000 + patient.pk,
        starts_at=ago(3),
        status=AppointmentStatus.COMPLETED,
        booked_by=nurse,
    )
    note = VisitNote.objects.create(appointment=visit, template_name="Follow-up", updated_by=nurse)
    VisitNote.objects.filter(pk=note.pk).update(updated_at=ago(2))
    scale = DeviceFactory(organization=patient.organization, identifier=f"SCALE-{patient.pk}")
    assignment = DeviceAssignment.objects.create(
        device=scale,
        patient=patient,
        assigned_at=ago(30),
        assigned_by=nurse,
        ended_at=ago(1),
        ended_by=nurse,
        ended_reason=AssignmentEndReason.UNASSIGNED,
    )
    # Booked for tomorrow: not history yet.
    Appointment.objects.create(
        organization=patient.organization,
        patient=patient,
        solo_id=890000 + patient.pk,
        starts_at=now + dt.timedelta(days=1),
    )
    return {
        "reading": high,
        "alert": alert,
        "call": call,
        "outreach": attempt,
        "time": review,
        "visit": visit,
        "visit_note": note,
        "assignment": assignment,
    }
