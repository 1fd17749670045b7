"""Solo's patient events (seed 003 "Webhooks": patient:created, patient:updated,
patient:deactivated): the inbox fetches the patient from Solo and applies what the portal keeps
of it — whether Solo holds the patient active.

Decisions:
- The payload's `patientId` is an int (seed 003 payload schema), and the ints seed 003 gives a
  patient are SPIDs (Create Patient answers one; "Get Patient with SPID" takes one): the event
  is read as naming the SPID, and the patient fetched with Get Patient with SPID. A non-numeric
  id (read liberally) is taken as the patient's id and fetched with Get Patient.
- Demographics stay the EHR's (the portal sent them to Solo); only `active` is applied. Solo's
  `active: false` sets `Patient.solo_deactivated_at` (see the field: it is kept apart from the
  portal's own `is_active`); booking then refuses (`solo_patient_bookable`), and pages say why.
  `active: true` clears it. Each change writes an audit row in the same transaction.
- A patient the mirror does not know by that SPID (not followed here, or created by a booking
  whose answer was lost before the SPID was recorded) is ignored.

Call, then record: the GET runs with no transaction open; the record step locks the patient's
row and applies Solo's current state, so repeats and events out of order change nothing twice."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from appointments import solo_shapes
from appointments.services.common import VisitConflict, solo_client
from portal.audit import audit_event_record
from portal.models import Patient

PATIENT_EVENTS = ("patient:created", "patient:updated", "patient:deactivated")


class PatientDeactivatedInSolo(VisitConflict):
    """Booking refused: Solo holds the patient deactivated (the API answers 409 with `code`)."""

    code = "patient_deactivated_in_solo"


def solo_patient_bookable(patient) -> None:
    """Raise PatientDeactivatedInSolo when Solo said the patient is deactivated."""
    if patient.solo_deactivated_at is not None:
        raise PatientDeactivatedInSolo(
            "This patient is deactivated in Solo, so Solo cannot take a visit for them. "
            "Reactivate the patient in Solo first; the portal updates when Solo tells it."
        )


def _is_spid(object_id: str) -> bool:
    return object_id.isascii() and object_id.isdigit()


def _mirror_patients(organization, object_id: str):
    patients = Patient.objects.filter(organization=organization)
    if _is_spid(object_id):
        return patients.filter(solo_spid=str(int(object_id)))
    return patients.filter(solo_id=object_id)


def solo_patient_followed(*, organization, object_id: str) -> bool:
    """Whether the mirror knows the patient the event names: if not, there is nothing to apply
    and Solo is not asked (a flood of events about other patients costs no calls)."""
    return _mirror_patients(organization, object_id).exists()


def solo_patient_fetch(*, organization, object_id: str) -> dict:
    """The call step: Get Patient with SPID (or Get Patient for a non-numeric id)."""
    client = solo_client(organization)
    if _is_spid(object_id):
        return client.patient_get_by_spid(str(int(object_id)))
    return client.patient_get(object_id)


@transaction.atomic
def solo_patient_apply(*, organization, object_id: str, current: dict) -> Patient | None:
    """The record step: the mirror's patient made to match Solo's `active` flag. None when the
    mirror does not know the patient (the delivery is then recorded as ignored)."""
    solo_shapes.unknown_fields("patient", current, solo_shapes.PATIENT_FIELDS)
    patient = _mirror_patients(organization, object_id).select_for_update().first()
    if patient is None:
        return None
    active = current.get("active")
    if active is False and patient.solo_deactivated_at is None:
        patient.solo_deactivated_at = timezone.now()
        action = "solo.patient.deactivated"
    elif active is True and patient.solo_deactivated_at is not None:
        patient.solo_deactivated_at = None
        action = "solo.patient.reactivated"
    else:
        return patient  # nothing the portal keeps has changed (or `active` is missing)
    patient.save(update_fields=["solo_deactivated_at", "updated_at"])
    audit_event_record(
        action=action,
        organization=organization,
        patient=patient,
        obj=patient,
        detail={"via": "solo webhook"},
    )
    return patient
