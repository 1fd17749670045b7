"""What the appointment API modules share: Solo's refusals as API errors, their schema
descriptions, and the waiting room a request names."""

from appointments import sync
from appointments.models import WaitingRoom
from appointments.services.common import VisitConflict, VisitRefused
from portal.api_helpers import ApiError
from portal.http import NOT_CONFIGURED, URL_NOT_ALLOWED, VendorError
from portal.schema import error_response

ERRORS = (
    "422 `validation_error` for bad fields or a refused request (`visit_refused`); 409 "
    "`visit_refused` when the visit is closed or already at that time, "
    "`patient_deactivated_in_solo` when Solo holds the patient deactivated, `solo_refused` when "
    "Solo refuses (its message is passed on); 503 `solo_unavailable` when Solo does not answer "
    "(nothing was changed)."
)

SOLO_ERRORS = {
    409: error_response(
        "`visit_refused`: the visit is closed or already at that time; "
        "`patient_deactivated_in_solo`: Solo holds the patient deactivated (booking only); "
        "`solo_refused`: Solo refused the request (its message is passed on); "
        "`solo_not_configured`: the organization has no Solo account (an administrator sets it "
        "up; retrying will not help)."
    ),
    503: error_response("`solo_unavailable`: Solo did not answer; nothing was changed."),
}


def raise_for(exc):
    """A refusal (ours or Solo's) as the API's error answer."""
    if isinstance(exc, VisitConflict):  # a refusal may name itself (patient_deactivated_in_solo)
        raise ApiError(409, getattr(exc, "code", "visit_refused"), str(exc)) from exc
    if isinstance(exc, VisitRefused):
        raise ApiError(422, "visit_refused", str(exc)) from exc
    if exc.code in (NOT_CONFIGURED, URL_NOT_ALLOWED):
        raise ApiError(409, "solo_not_configured", exc.staff_message) from exc
    if exc.is_outage:
        raise ApiError(503, "solo_unavailable", exc.staff_message) from exc
    raise ApiError(409, "solo_refused", exc.staff_message) from exc


def waiting_room_named(organization, name: str) -> WaitingRoom:
    """The organization's active waiting room `name`; the rooms are fetched from Solo once when
    the mirror does not know it. 422 when Solo has no such room."""
    room = WaitingRoom.objects.filter(organization=organization, name=name, is_active=True).first()
    if room is None:
        try:
            sync.waiting_rooms_sync(organization=organization)
        except VendorError as exc:
            raise_for(exc)
        room = WaitingRoom.objects.filter(
            organization=organization, name=name, is_active=True
        ).first()
    if room is None:
        raise ApiError(
            422,
            "validation_error",
            "waiting_room: no such waiting room in Solo.",
            {"waiting_room": ["No such waiting room in Solo."]},
        )
    return room
