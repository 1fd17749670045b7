"""Writes on core models: one function per business action, transactional, audited."""

from django.db import IntegrityError, transaction

from portal.audit import audit_event_record
from portal.models import Patient


class PatientConflict(Exception):
    pass


@transaction.atomic
def patient_create(*, organization, request=None, **fields) -> Patient:
    """Enrol a patient in `organization` (MRN unique within it)."""
    patient = Patient(organization=organization, **fields)
    patient.full_clean(validate_unique=False, validate_constraints=False)
    if Patient.objects.filter(organization=organization, mrn=patient.mrn).exists():
        raise PatientConflict(f"A patient with MRN {patient.mrn} already exists.")
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # a concurrent enrolment of the same MRN won the race
        raise PatientConflict(f"A patient with MRN {patient.mrn} already exists.") from exc
    audit_event_record(action="patient.create", request=request, patient=patient, obj=patient)
    return patient
