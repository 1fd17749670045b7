"""Book, reschedule and cancel go to Solo first, then to the mirror, each audited once."""

import pytest

from appointments.models import Appointment, AppointmentChange, AppointmentStatus
from appointments.services import booking
from appointments.services.common import VisitRefused
from portal.http import VendorError
from portal.models import AuditEvent
from portal.sandbox.state import STORE
from tests.appointments.conftest import future_slot
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def test_booking_creates_the_visit_in_solo_and_mirrors_it(book, solo_patient):
    visit = book()
    in_solo = STORE.get("solo", "appointments", visit.solo_id)
    assert in_solo["patientId"] == solo_patient.solo_id
    assert in_solo["externalId"] == str(visit.external_id)
    assert in_solo["date"] == int(visit.starts_at.timestamp())
    assert visit.said == visit.solo_id
    assert visit.duration_seconds == 900
    assert visit.status == AppointmentStatus.SCHEDULED
    assert [c.note for c in visit.changes.all()] == ["Booked in Cardiology Follow-up"]
    assert AuditEvent.objects.filter(action="appointment.book", patient=solo_patient).count() == 1


def test_booking_a_patient_unknown_to_solo_creates_them_there_first(org, rooms, bob):
    patient = PatientFactory(organization=org)
    visit = booking.appointment_book(
        patient=patient,
        waiting_room=rooms["RPM Check-in"],
        starts_at=future_slot(14, 11),
        by=bob,
    )
    patient.refresh_from_db()
    assert patient.solo_id == f"vp-{org.slug}-{patient.pk}"
    assert STORE.get("solo", "patients", patient.solo_id)["mrn"] == patient.mrn
    assert patient.solo_spid
    assert STORE.get("solo", "appointments", visit.solo_id)["patientId"] == patient.solo_id


def test_a_taken_slot_is_refused_with_solos_message_and_nothing_is_written(book):
    book()
    with pytest.raises(VendorError) as caught:
        book()
    assert caught.value.status == 409
    assert "not available" in caught.value.staff_message
    assert Appointment.objects.count() == 1


def test_a_past_time_is_refused_before_asking_solo(rooms, solo_patient, bob):
    from datetime import timedelta

    from django.utils import timezone

    before = len(STORE.all("solo", "appointments"))
    with pytest.raises(VisitRefused, match="already passed"):
        booking.appointment_book(
            patient=solo_patient,
            waiting_room=rooms["RPM Check-in"],
            starts_at=timezone.now() - timedelta(hours=1),
            by=bob,
        )
    assert len(STORE.all("solo", "appointments")) == before
    assert not Appointment.objects.exists()


def test_a_solo_outage_books_nothing(book, faults):
    faults.inject("solo", "error", count=1, path_contains="/appointments")
    with pytest.raises(VendorError) as caught:
        book()
    assert caught.value.is_outage
    assert not Appointment.objects.exists()


def test_reschedule_moves_the_visit_in_solo_and_keeps_history(book, bob):
    visit = book()
    new_start = future_slot(15, 14)
    booking.appointment_reschedule(appointment=visit, starts_at=new_start, by=bob)
    visit.refresh_from_db()
    assert visit.starts_at == new_start
    assert STORE.get("solo", "appointments", visit.solo_id)["date"] == int(new_start.timestamp())
    assert visit.changes.count() == 2
    assert AuditEvent.objects.filter(action="appointment.reschedule").count() == 1


def test_cancel_needs_a_reason_and_tells_solo(book, bob):
    visit = book()
    with pytest.raises(VisitRefused, match="reason"):
        booking.appointment_cancel(appointment=visit, reason="  ", by=bob)
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "scheduled"
    booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CANCELLED
    assert visit.cancel_reason == "Patient in hospital"
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "cancelled"
    last = visit.changes.last()
    assert (last.status, last.note, last.by) == ("cancelled", "Patient in hospital", bob)
    with pytest.raises(VisitRefused, match="no longer be changed"):
        booking.appointment_reschedule(appointment=visit, starts_at=future_slot(16), by=bob)


def test_provider_links_are_fresh_each_time(book):
    visit = book()
    first = booking.appointment_provider_link(appointment=visit)
    second = booking.appointment_provider_link(appointment=visit)
    teams = booking.appointment_provider_link(appointment=visit, teams=True)
    assert first != second
    assert "role=provider" in first
    assert "meetingjoin=true" in teams
    assert AuditEvent.objects.filter(action="appointment.provider_link").count() == 3


def test_history_rows_only_come_from_services(book):
    visit = book()
    assert AppointmentChange.objects.filter(appointment=visit).count() == 1


def test_reschedule_note_says_the_old_time_in_the_patients_zone(book, bob):
    visit = book()
    before = visit.starts_at.astimezone(visit.patient.tz)
    booking.appointment_reschedule(appointment=visit, starts_at=future_slot(15, 14), by=bob)
    note = visit.changes.order_by("-id").first().note
    assert note == f"Moved from {before:%b} {before.day}, {before.year}, " + (
        f"{before.hour % 12 or 12}:{before:%M} {'AM' if before.hour < 12 else 'PM'} "
        f"{before.tzname()}"
    )
    assert "+00:00" not in note
