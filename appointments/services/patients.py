"""The patient in Solo: created on first booking or episode (Create Patient, seed 003).

Call, then record, with no claim: the Solo id is ours and fixed (`vp-<organization>-<pk>`), so a
crash after Solo created the patient and before `solo_id` was saved leaves a patient in Solo the
mirror does not name yet; the next attempt creates the same id again, Solo answers 409, and the
id is recorded then. Two bookings racing for a new patient end the same way."""

from __future__ import annotations

from appointments.clients import SoloClient
from appointments.services.common import solo_client
from portal.http import VendorError


def solo_patient_ensure(*, patient, client: SoloClient | None = None) -> str:
    """The patient's Solo id, creating the patient in Solo (Create Patient) on first booking."""
    if patient.solo_id:
        return patient.solo_id
    client = client or solo_client(patient.organization)
    solo_id = f"vp-{patient.organization.slug}-{patient.pk}"
    body = {
        "id": solo_id,
        "mrn": patient.mrn,
        "name": [
            {
                "use": "usual",
                "family": patient.full_name,
                "firstName": patient.first_name,
                "middleName": "",
                "lastName": patient.last_name,
                "alias": "",
            }
        ],
        "birthDate": patient.birth_date.isoformat(),
        "active": patient.is_active,
    }
    try:
        spid = client.patient_create(body)
    except VendorError as exc:
        if exc.status != 409:  # already created by an earlier attempt whose answer was lost
            raise
        spid = None
    patient.solo_id = solo_id
    if spid is not None:
        patient.solo_spid = str(spid)
    patient.save(update_fields=["solo_id", "solo_spid", "updated_at"])
    return solo_id
