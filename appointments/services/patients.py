"""The patient in Solo: created on first booking or episode (Create Patient, seed 003); their
demographics read and edited (Get/Update Patient, by id or by SPID); their agreement to receive
visit links by email; the patient behind an integrator's SPID or HSID.

Call, then record, with no claim: the Solo id is ours and fixed (`vp-<organization>-<pk>`), so a
crash after Solo created the patient and before `solo_id` was saved leaves a patient in Solo the
mirror does not name yet; the next attempt creates the same id again, Solo answers 409, and the
id is recorded then. Two bookings racing for a new patient end the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from appointments.clients import SoloClient
from appointments.services.common import VisitRefused, solo_client
from portal.audit import audit_event_record
from portal.http import MALFORMED_ANSWER, VendorError
from portal.models import Patient


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


# --- demographics: Get Patient / Update Patient, by id or by SPID ------------------------------
# The fields staff see and edit. Solo's record holds more (contacts, race, family groups...):
# an update sends back what it read, with only these fields changed, so the rest is kept.
GENDERS = ("male", "female", "other", "unknown")


@dataclass(frozen=True)
class SoloDemographics:
    first_name: str = ""
    last_name: str = ""
    birth_date: str = ""
    gender: str = ""
    phone: str = ""
    email: str = ""
    preferred_language: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    active: bool = True
    deceased: bool = False
    deceased_at: str = ""

    EDITABLE = (
        "first_name",
        "last_name",
        "birth_date",
        "gender",
        "phone",
        "email",
        "preferred_language",
        "address_line",
        "city",
        "state",
        "postal_code",
    )

    @classmethod
    def from_solo(cls, body: dict) -> SoloDemographics:
        """Read liberally: any field may be missing or null in what Solo sends."""
        name = _first(body.get("name"))
        address = _first(body.get("address"))
        lines = address.get("line") if isinstance(address.get("line"), list) else []
        return cls(
            first_name=_text(name.get("firstName")),
            last_name=_text(name.get("lastName")),
            birth_date=_text(body.get("birthDate")),
            gender=_text(body.get("gender")),
            phone=_telecom(body, "phone"),
            email=_telecom(body, "email"),
            preferred_language=_text(body.get("preferredLanguage")),
            address_line=_text(lines[0] if lines else ""),
            city=_text(address.get("city")),
            state=_text(address.get("state")),
            postal_code=_text(address.get("postalcode")),
            active=body.get("active") is not False,
            deceased=body.get("deceased") is True,
            deceased_at=_text(body.get("deceasedAt")),
        )


def _first(value) -> dict:
    return value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else {}


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _telecom(body: dict, system: str) -> str:
    for entry in body.get("telecom") or []:
        if isinstance(entry, dict) and entry.get("system") == system:
            return _text(entry.get("value"))
    return ""


def _solo_ref(patient) -> tuple[str, str]:
    """How Solo knows the patient: its id (ours, `vp-...`, or Solo's for a patient Solo created),
    else its SPID (a patient the portal learnt of from Solo's events)."""
    if patient.solo_id:
        return "id", patient.solo_id
    if patient.solo_spid:
        return "spid", patient.solo_spid
    raise VisitRefused(
        "This patient is not in Solo yet: they are added when their first visit is booked."
    )


def solo_patient_fetch(*, patient, client: SoloClient | None = None) -> dict:
    """Get Patient (by id), or Get Patient with SPID when the portal holds only the SPID."""
    kind, ref = _solo_ref(patient)
    client = client or solo_client(patient.organization)
    body = client.patient_get(ref) if kind == "id" else client.patient_get_by_spid(ref)
    if not isinstance(body, dict):
        raise VendorError(
            "Solo", "Solo sent a patient record the portal cannot read.", code=MALFORMED_ANSWER
        )
    return body


def solo_demographics_fetch(*, patient) -> SoloDemographics:
    return SoloDemographics.from_solo(solo_patient_fetch(patient=patient))


def _update_body(current: dict, changes: dict) -> dict:
    """Solo's record with `changes` (SoloDemographics field names) applied. Lists (name,
    telecom, address) are sent whole, their other entries and keys as Solo holds them."""
    body = {}
    if {"first_name", "last_name"} & changes.keys():
        names = [dict(n) for n in current.get("name") or [] if isinstance(n, dict)] or [
            {"use": "usual", "middleName": "", "alias": ""}
        ]
        first = names[0]
        first["firstName"] = changes.get("first_name", first.get("firstName", ""))
        first["lastName"] = changes.get("last_name", first.get("lastName", ""))
        first["family"] = f"{first['firstName']} {first['lastName']}".strip()
        body["name"] = names
    if "birth_date" in changes:
        body["birthDate"] = changes["birth_date"]
    if "gender" in changes:
        body["gender"] = changes["gender"]
    if "preferred_language" in changes:
        body["preferredLanguage"] = changes["preferred_language"]
    if {"phone", "email"} & changes.keys():
        telecom = [dict(t) for t in current.get("telecom") or [] if isinstance(t, dict)]
        for system in ("phone", "email"):
            if system not in changes:
                continue
            found = next((t for t in telecom if t.get("system") == system), None)
            if found is None:
                telecom.append({"use": "home", "system": system, "value": changes[system]})
            else:
                found["value"] = changes[system]
        body["telecom"] = [t for t in telecom if t.get("value") != ""]
    address_keys = {"address_line": None, "city": "city", "state": "state", "postal_code": None}
    if address_keys.keys() & changes.keys():
        addresses = [dict(a) for a in current.get("address") or [] if isinstance(a, dict)] or [
            {"use": "home", "apartment": "", "country": "USA", "line": []}
        ]
        home = addresses[0]
        if "address_line" in changes:
            lines = list(home.get("line") or [])
            home["line"] = (
                [changes["address_line"], *lines[1:]] if lines else [changes["address_line"]]
            )
        for key in ("city", "state"):
            if key in changes:
                home[key] = changes[key]
        if "postal_code" in changes:
            home["postalcode"] = changes["postal_code"]
        body["address"] = addresses
    return body


def solo_demographics_update(*, patient, changes: dict, by, request=None) -> SoloDemographics:
    """Update Patient (by id), or Update Patient with SPID (seed 003), with the fields staff
    changed, then the portal's own copy of those fields, in one transaction with its audit row.

    Call, then record: Solo first, since Solo is where the visit links and check-in use them.
    A crash after Solo's answer leaves the portal's copy at the old values until staff save
    again (Solo accepts the same update twice) or Solo's `patient:updated` event is applied.
    `deceased`/`active` are not edited here: deactivation is Solo's (its event), and Solo's
    rule for `deceasedAt` needs a date format the document does not fix."""
    unknown = set(changes) - set(SoloDemographics.EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    client = solo_client(patient.organization)
    current = solo_patient_fetch(patient=patient, client=client)
    before = SoloDemographics.from_solo(current)
    changed = {k: v for k, v in changes.items() if getattr(before, k) != v}
    if not changed:
        raise VisitRefused("Nothing was changed: Solo already holds these details.")
    body = _update_body(current, changed)
    kind, ref = _solo_ref(patient)
    if kind == "id":
        client.patient_update(ref, body)
    else:
        client.patient_update_by_spid(ref, body)
    _demographics_record(patient, changed, by=by, request=request)
    return SoloDemographics(**{**before.__dict__, **changed})


# The portal's own copy of what staff edited (Patient fields), so the two agree.
_MIRRORED = {
    "first_name": "first_name",
    "last_name": "last_name",
    "phone": "phone",
    "email": "email",
    "postal_code": "zip_code",
}


@transaction.atomic
def _demographics_record(patient, changed: dict, *, by, request) -> None:
    fields = []
    for key, field in _MIRRORED.items():
        if key in changed and changed[key] != getattr(patient, field):
            setattr(patient, field, changed[key])
            fields.append(field)
    if "birth_date" in changed:
        patient.birth_date = date.fromisoformat(changed["birth_date"])
        fields.append("birth_date")
    if "email" in fields and patient.email_links_consent:
        # The patient agreed to links at the old address, not at this one.
        _consent_set(patient, agreed=False, by=by)
        fields += ["email_links_consent", "email_links_consent_at", "email_links_consent_by"]
    if fields:
        patient.save(update_fields=[*fields, "updated_at"])
    audit_event_record(
        action="patient.solo_update",
        request=request,
        actor=by,
        patient=patient,
        obj=patient,
        # Which fields, never their values (names and addresses are PHI).
        detail={"fields": sorted(changed)},
    )


# --- agreement to receive visit links by email ---------------------------------------------
def _consent_set(patient, *, agreed: bool, by) -> None:
    patient.email_links_consent = agreed
    patient.email_links_consent_at = timezone.now()
    patient.email_links_consent_by = by


@transaction.atomic
def patient_email_links_consent_record(*, patient, agreed: bool, email: str = "", by, request=None):
    """Record whether the patient agreed to receive visit join links by email, when, and who
    recorded it; `email` fills in (or corrects) the address they agreed for. An agreement
    needs an address."""
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise VisitRefused("That email address is not valid.") from None
    address = email or patient.email
    if agreed and not address:
        raise VisitRefused("Add the patient's email address to record their agreement.")
    fields = ["email_links_consent", "email_links_consent_at", "email_links_consent_by"]
    if email and email != patient.email:
        patient.email = email
        fields.append("email")
    _consent_set(patient, agreed=agreed, by=by)
    patient.save(update_fields=[*fields, "updated_at"])
    audit_event_record(
        action="patient.email_links_consent",
        request=request,
        actor=by,
        patient=patient,
        obj=patient,
        detail={"agreed": agreed, "email_changed": "email" in fields},
    )
    return patient


# --- the patient behind an integrator's SPID or HSID ---------------------------------------
def patient_by_solo_ref(organization, *, spid: str | None = None, hsid: str | None = None):
    """The organization's patient with this SPID or HSID in the mirror; None when there is no
    such patient, or more than one (the ids are not unique in the mirror, and a booking must
    not guess)."""
    field = "solo_spid" if spid is not None else "solo_hsid"
    value = spid if spid is not None else hsid
    if not value:
        return None
    found = list(Patient.objects.filter(organization=organization, **{field: value})[:2])
    return found[0] if len(found) == 1 else None
