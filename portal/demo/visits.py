"""Solo: the practice's waiting rooms and the upcoming visits booked in Solo, mirrored through
the appointments pulls."""

from appointments.models import Appointment
from portal.demo import pulls
from portal.sandbox import world


def visits_load(organization) -> tuple[int, int]:
    """Mirror the waiting rooms, then each visit the world booked in Solo (Solo offers no list
    of appointments; the portal learns of each from a webhook, which names its id). Returns
    (rooms, visits mirrored)."""
    rooms = {room.name: room for room in pulls.waiting_rooms_pull(organization)}
    mirrored = 0
    for planned in world.seeded_appointment_plan():
        visit = pulls.visit_pull(organization, planned["id"])
        if visit is None:
            continue
        mirrored += 1
        # Solo's Get Appointment does not name the waiting room (seed 003), so the pull leaves
        # it empty; the world knows where it booked each visit.
        Appointment.objects.filter(pk=visit.pk, waiting_room__isnull=True).update(
            waiting_room=rooms[planned["waiting_room"]]
        )
    return len(rooms), mirrored
