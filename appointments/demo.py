"""Demo data: waiting rooms and upcoming visits that match the sandbox's seeded Solo state
(portal.sandbox.solo_common), so every visit in the demo database exists in the sandbox. Safe to
run twice."""

from datetime import UTC

from appointments.models import Appointment, AppointmentChange, WaitingRoom
from portal.models import Vendor, VendorAccount
from portal.sandbox.solo_common import (
    LINKING_SECRET,
    WAITING_ROOMS,
    seeded_appointment_plan,
    waiting_room_id,
)


def load(*, organization, patients, users, rng, stdout):
    rooms = {}
    for name, _slot, line, kind in WAITING_ROOMS:
        rooms[name], _ = WaitingRoom.objects.update_or_create(
            organization=organization,
            solo_id=waiting_room_id(name),
            defaults={"name": name, "service_line": line, "service_type": kind, "is_active": True},
        )
    account = VendorAccount.objects.filter(organization=organization, vendor=Vendor.SOLO).first()
    if account is not None and account.secrets.get("linking_secret") != LINKING_SECRET:
        account.secrets = {**account.secrets, "linking_secret": LINKING_SECRET}
        account.save(update_fields=["secrets"])
    created = 0
    for item in seeded_appointment_plan():
        if item["patient_index"] >= len(patients):
            continue
        visit, was_created = Appointment.objects.update_or_create(
            organization=organization,
            solo_id=item["id"],
            defaults={
                "patient": patients[item["patient_index"]],
                "waiting_room": rooms[item["waiting_room"]],
                "said": item["id"],
                "starts_at": item["start"].astimezone(UTC),
                "duration_seconds": item["duration"],
                "reasons": ["Blood pressure follow-up"],
            },
        )
        if was_created:
            created += 1
            AppointmentChange.objects.create(
                appointment=visit,
                status=visit.status,
                starts_at=visit.starts_at,
                source=AppointmentChange.Source.DEMO,
                note=f"Booked in {visit.waiting_room.name}",
            )
    stdout.write(f"Solo: {len(rooms)} waiting rooms, {created} new upcoming visits.")
