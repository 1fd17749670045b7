"""Enrolment on top of every app: the patient's record and their program's default alert rules
in one transaction (portal.enrolment, readings.care.program_defaults), then the vendor ids found
or created, each call made with no transaction open (house rule: call, then record).

The vendors, in the order they are tried (each independent of the others):
- Solo: Create Patient with the portal's own id (appointments.services.patients, which already
  handles an earlier attempt whose answer was lost: Solo's 409 means "made");
- Validic: Provision User with the MRN as `uid` (devices.services.smart_meter; 409 → Get User);
- Impilo: patient lookup by our MRN (`externalId`). Impilo registers patients itself (with the
  clinic's device order); the portal only finds them, so "not found" is a reason, not an error.

A vendor that fails leaves the patient enrolled: the id stays empty, the reason is kept on the
patient (`vendor_link_problems`, shown on the patient page with a "Link vendors" button), and
the next attempt starts over. Nothing here raises for a vendor's answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from appointments.services.patients import solo_patient_ensure
from devices.clients import ImpiloClient, ValidicClient
from devices.services.smart_meter import validic_user_id
from portal.audit import audit_event_record
from portal.enrolment import patient_enrol
from portal.http import VendorError
from portal.models import Patient
from readings.care.program_defaults import program_defaults_apply

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VendorLink:
    vendor: str  # "solo", "validic", "impilo"
    label: str  # what staff read: "Solo (video visits)"
    linked: bool
    problem: str = ""


VENDORS = {
    "solo": ("Solo (video visits)", "solo_id"),
    "validic": ("Validic (cellular devices)", "validic_user_id"),
    "impilo": ("Impilo (devices)", "impilo_patient_id"),
}


class NotFound(Exception):
    """The vendor answered and does not know the patient: a reason staff can act on."""


def patient_enrol_and_link(
    *, organization, by, fields: dict, diagnoses: list[str], request=None
) -> tuple[Patient, list[VendorLink]]:
    """Enrol (record, diagnoses, consent, program defaults: all or nothing), then link the
    vendors. A ValidationError from the record leaves nothing written and calls no vendor."""
    with transaction.atomic():
        patient = patient_enrol(
            organization=organization, by=by, fields=fields, diagnoses=diagnoses, request=request
        )
        program_defaults_apply(patient=patient, by=by, request=request)
    return patient, vendor_links_ensure(patient=patient, by=by, request=request)


def vendor_links(patient: Patient) -> list[VendorLink]:
    """Where the patient stands with each vendor, from the record (no vendor call)."""
    problems = patient.vendor_link_problems or {}
    return [
        VendorLink(
            vendor,
            label,
            getattr(patient, field) is not None,
            "" if getattr(patient, field) is not None else problems.get(vendor, ""),
        )
        for vendor, (label, field) in VENDORS.items()
    ]


def vendor_links_ensure(*, patient: Patient, by, request=None) -> list[VendorLink]:
    """Find or create the patient at each vendor not linked yet; record what came of it."""
    steps: dict[str, Callable[[Patient], object]] = {
        "solo": _solo,
        "validic": _validic,
        "impilo": _impilo,
    }
    for vendor, step in steps.items():
        field = VENDORS[vendor][1]
        if getattr(patient, field) is not None:
            continue
        try:
            value = step(patient)  # no transaction is open here: the vendor call
        except VendorError as exc:
            logger.info("vendor link: %s patient=%s status=%s", vendor, patient.pk, exc.status)
            _record(patient, vendor, None, exc.staff_message, by=by, request=request)
        except NotFound as exc:
            _record(patient, vendor, None, str(exc), by=by, request=request)
        else:
            _record(patient, vendor, value, "", by=by, request=request)
        patient.refresh_from_db()
    return vendor_links(patient)


def _solo(patient: Patient) -> str:
    # Records solo_id/solo_spid itself (a single-row save after the call).
    return solo_patient_ensure(patient=patient)


def _validic(patient: Patient) -> str:
    return validic_user_id(ValidicClient.for_organization(patient.organization), patient)


def _impilo(patient: Patient) -> int:
    client = ImpiloClient.for_organization(patient.organization)
    found = client.find_patients(external_id=patient.mrn)
    ids = [p.get("id") for p in found if isinstance(p.get("id"), int)]
    if not ids:
        raise NotFound(
            f"Impilo has no patient with MRN {patient.mrn} for your organization yet (Impilo "
            "registers patients with their first device order). Try again once it does."
        )
    if len(ids) > 1:
        raise NotFound(
            f"Impilo has {len(ids)} patients with MRN {patient.mrn}: ask Impilo to merge them, "
            "then try again."
        )
    return ids[0]


@transaction.atomic
def _record(patient: Patient, vendor: str, value, problem: str, *, by, request) -> None:
    field = VENDORS[vendor][1]
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    problems = dict(locked.vendor_link_problems or {})
    fields = ["vendor_link_problems", "updated_at"]
    if value is not None and getattr(locked, field) is None:
        taken = (
            Patient.objects.filter(organization=locked.organization, **{field: value})
            .exclude(pk=locked.pk)
            .exists()
        )
        if taken:
            value, problem = (
                None,
                (
                    f"{VENDORS[vendor][0].split(' ')[0]} already links this record to another "
                    "patient of your organization: check for a duplicate enrolment."
                ),
            )
        else:
            setattr(locked, field, value)
            fields.append(field)
    if problem:
        problems[vendor] = problem
    else:
        problems.pop(vendor, None)
    locked.vendor_link_problems = problems
    try:
        with transaction.atomic():
            locked.save(update_fields=fields)
    except IntegrityError:  # a concurrent link recorded the same id first
        return
    audit_event_record(
        action="patient.vendor_link",
        request=request,
        actor=by,
        patient=locked,
        obj=locked,
        detail={"vendor": vendor, "linked": getattr(locked, field) is not None},
    )
