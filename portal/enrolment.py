"""Enrolment and discharge: the writes on the patient's own record. Linking the patient to the
vendors and applying the program's default alert rules need the apps, so they happen on top, in
care (readings.care.enrolment), around these.

Decisions (README "Enrolment"):
- Consent to remote monitoring is recorded at enrolment (CMS: obtained and documented before
  the service); the text version defaults to CONSENT_TEXT_VERSION.
- An enrolment leaves `monitoring_started_on` empty: the episode starts with the first device
  data (readings.billing.episode_start), so the set-up period is the first one with readings.
- Discharge ends monitoring (is_active False) and keeps every reading, alert, note and time
  entry; the billing report still lists the patient for the months it reaches.
- Re-enrolling a discharged patient is allowed: it starts a new episode on the day it is done
  (`monitoring_started_on`), clears the discharge fields, and leaves billing history as it was;
  each discharge stays in the audit log (date and reason)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit import audit_event_record
from portal.enrolment_models import DischargeReason, PatientDiagnosis, Program
from portal.icd10cm import CODE_SET, normalise
from portal.models import Membership, Patient, Role
from portal.staff_services import organization_tz

# The version of the consent text staff read or hand to the patient. Change it when the text
# changes, so each patient's record says which wording they agreed to.
CONSENT_TEXT_VERSION = "RPM consent v2026.1"
MAX_DIAGNOSES = 12

ENROLMENT_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "mrn",
    "phone",
    "email",
    "zip_code",
    "time_zone",
    "program",
    "ordering_physician",
    "primary_nurse",
    "consent_on",
    "consent_method",
    "consent_recorded_by",
    "consent_text_version",
)


def members(organization, *, physicians: bool = False, clinical: bool = False):
    """The organization's active staff memberships: physicians only, or clinical staff only
    (a physician, or a member who is clinical staff by role or by an admin's say)."""
    qs = (
        Membership.objects.filter(organization=organization, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    if physicians:
        return [m for m in qs if m.role == Role.PHYSICIAN]
    if clinical:
        return [m for m in qs if m.is_clinical_staff or m.is_physician]
    return list(qs)


def built_in_programs_ensure(using: str = "default") -> None:
    """The built-in programs exist (migration portal 0007 seeds them; portal.apps calls this
    after every migrate and flush; a database restored without that data would otherwise offer
    no program). One query when they are there; a deactivated one stays deactivated."""
    programs = Program.objects.using(using)
    have = set(programs.filter(organization=None).values_list("code", flat=True))
    for code, name in Program.BUILT_IN:
        if code not in have:
            programs.get_or_create(organization=None, code=code, defaults={"name": name})


def diagnoses_checked(codes: list[str]) -> list[tuple[str, str]]:
    """(code, description) for each distinct code, in order; a code that is not a billable
    ICD-10-CM code of the current release is refused with its name."""
    found: dict[str, str] = {}
    for raw in codes:
        code = CODE_SET.get(raw)
        if code is None:
            raise ValidationError(
                {
                    "diagnoses": f"{normalise(raw) or raw!r} is not a billable ICD-10-CM code: "
                    "pick one from the search (billable codes have all their characters)."
                }
            )
        found.setdefault(code.code, code.description)
    if len(found) > MAX_DIAGNOSES:
        raise ValidationError({"diagnoses": f"At most {MAX_DIAGNOSES} diagnoses."})
    return list(found.items())


def _staff_checked(patient: Patient) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    org = patient.organization
    if patient.program_id and not Program.for_organization(org).filter(pk=patient.program_id):
        errors["program"] = "Choose one of your organization's programs."
    physicians = {m.user_id for m in members(org, physicians=True)}
    if patient.ordering_physician_id and patient.ordering_physician_id not in physicians:
        errors["ordering_physician"] = "Choose a physician of your organization."
    clinical = {m.user_id for m in members(org, clinical=True)}
    if patient.primary_nurse_id and patient.primary_nurse_id not in clinical:
        errors["primary_nurse"] = "Choose a member of your clinical staff."
    staff = {m.user_id for m in members(org)}
    if patient.consent_recorded_by_id and patient.consent_recorded_by_id not in staff:
        errors["consent_recorded_by"] = "Choose a member of your staff."
    return errors


def _mrn_taken(organization, mrn: str) -> ValidationError:
    return ValidationError(
        {
            "mrn": f"MRN {mrn} is already used by a patient of your organization: open that "
            "patient from the patient list instead of enrolling them again."
        }
    )


def _latest_today(organization, patient: Patient):
    """The latest date it is now where the patient lives or where the organization is: a date
    that is today for either is not in the future (at 00:10 in New York the form offers the
    organization's Dec 1 for a Chicago patient for whom it is still Nov 30)."""
    now = timezone.now()
    return max(
        now.astimezone(patient.tz).date(),
        now.astimezone(organization_tz(organization)).date(),
    )


@transaction.atomic
def patient_enrol(*, organization, by, fields: dict, diagnoses: list[str], request=None) -> Patient:
    """Create the patient with their program, diagnoses, care team and consent, in one
    transaction with its audit row. Refusals are a ValidationError keyed by field."""
    unknown = set(fields) - set(ENROLMENT_FIELDS)
    if unknown:
        raise ValueError(f"not enrolment fields: {sorted(unknown)}")
    fields = {"consent_text_version": CONSENT_TEXT_VERSION, "consent_recorded_by": by, **fields}
    patient = Patient(organization=organization, **fields)
    errors: dict[str, Any] = {}
    try:
        patient.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    errors.update(_staff_checked(patient))
    if not patient.consent_on or not patient.consent_method:
        errors.setdefault(
            "consent_on", "Record when and how the patient agreed to remote monitoring."
        )
    elif patient.consent_on > _latest_today(organization, patient):
        errors.setdefault("consent_on", "Consent cannot be given in the future.")
    try:
        checked = diagnoses_checked(diagnoses)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
        checked = []
    if not errors and Patient.objects.filter(organization=organization, mrn=patient.mrn).exists():
        errors.update(_mrn_taken(organization, patient.mrn).message_dict)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # a concurrent enrolment of the same MRN won the race
        raise _mrn_taken(organization, patient.mrn) from exc
    PatientDiagnosis.objects.bulk_create(
        PatientDiagnosis(patient=patient, code=code, description=text[:255], added_by=by)
        for code, text in checked
    )
    audit_event_record(
        action="patient.enrol",
        request=request,
        actor=by,
        patient=patient,
        obj=patient,
        # Codes and choices, never names or dates (PHI).
        detail={
            "program": patient.program.code if patient.program else None,
            "diagnoses": [code for code, _ in checked],
            "consent_method": patient.consent_method,
        },
    )
    return patient


def enrolled_on(patient: Patient) -> dt.date:
    """The first day the patient was in the portal's care: the monitoring start when one was
    set, else the day the record was made (in the patient's zone)."""
    created = patient.created_at.astimezone(patient.tz).date()
    started = patient.monitoring_started_on
    return min(started, created) if started else created


def _locked(patient: Patient) -> Patient:
    return Patient.objects.select_for_update().select_related("organization").get(pk=patient.pk)


@transaction.atomic
def patient_discharge(
    *, patient: Patient, by, on: dt.date, reason: str, note: str = "", request=None
) -> Patient:
    """End monitoring: the patient leaves the roster and the work queues; everything recorded
    stays. `on` may not be in the future nor before the patient was enrolled."""
    patient = _locked(patient)
    if not patient.is_active:
        raise ValidationError("This patient is already discharged.")
    today = timezone.now().astimezone(patient.tz).date()
    errors: dict[str, Any] = {}
    if reason not in DischargeReason.values:
        errors["reason"] = "Choose the reason for the discharge."
    if on > today:
        errors["on"] = "The discharge date cannot be in the future."
    elif on < enrolled_on(patient):
        first = enrolled_on(patient)
        errors["on"] = f"The discharge date cannot be before the enrolment ({first:%b %-d, %Y})."
    if errors:
        raise ValidationError(errors)
    patient.is_active = False
    patient.discharged_on = on
    patient.discharge_reason = reason
    patient.discharge_note = note.strip()
    patient.save(
        update_fields=[
            "is_active",
            "discharged_on",
            "discharge_reason",
            "discharge_note",
            "updated_at",
        ]
    )
    audit_event_record(
        action="patient.discharge",
        request=request,
        actor=by,
        patient=patient,
        obj=patient,
        detail={"on": on.isoformat(), "reason": reason},
    )
    return patient


@transaction.atomic
def patient_reenrol(*, patient: Patient, by, request=None) -> Patient:
    """Take a discharged patient back into monitoring: a new episode starts today (their
    zone). The earlier discharge stays in the audit log; billing history is unchanged."""
    patient = _locked(patient)
    if patient.is_active:
        raise ValidationError("This patient is already being monitored.")
    previous = {
        "on": patient.discharged_on.isoformat() if patient.discharged_on else None,
        "reason": patient.discharge_reason,
    }
    patient.is_active = True
    patient.monitoring_started_on = timezone.now().astimezone(patient.tz).date()
    patient.discharged_on = None
    patient.discharge_reason = ""
    patient.discharge_note = ""
    patient.save(
        update_fields=[
            "is_active",
            "monitoring_started_on",
            "discharged_on",
            "discharge_reason",
            "discharge_note",
            "updated_at",
        ]
    )
    audit_event_record(
        action="patient.reenrol",
        request=request,
        actor=by,
        patient=patient,
        obj=patient,
        detail={"previous_discharge": previous},
    )
    return patient
