"""Organization-level Solo tools: the CSV data dump, encounter reports, virtual-nursing
assistance requests, and context-aware links (seed 003). Solo first, then the record in one short
transaction; no transaction is open while Solo is called.

What a crash between Solo's answer and the record leaves (no claim is taken):
- report job request: Solo generates a report no job row names; it expires there unseen. Staff
  order again. Refreshing a job is a read (status, then download) saved on the job's own row.
- assistance request create: Solo holds an open request the portal does not list; the virtual
  nurse still answers it, and asking again for the same bed reaches the same nurse.
- assistance request cancel: idempotent in Solo (a 404 "Request not found" counts as done);
  repeating the cancel converges.
- consult request (perfect answer): Solo has booked the visit and the portal has no row naming
  it. A repeat within 24 hours is refused by Solo itself ("A visit has already been created for
  the patient within 24 hours"), so no second visit is booked; the visit still reaches the
  mirror through its `appointment:scheduled` webhook."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import transaction
from django.utils import timezone

from appointments.clients import SoloClient
from appointments.crypto import solo_encrypt_json
from appointments.models import Appointment, AssistanceRequest, ConsultRequest, ReportJob
from appointments.services.common import VisitRefused, solo_client, unix_seconds
from portal.audit import audit_event_record
from portal.downloads import csv_neutralised
from portal.http import VendorError
from portal.models import Vendor, VendorAccount


def report_csv_dump(*, organization, start: date, end: date, by, request=None) -> bytes:
    """Get CSV report (seed 003 "Data Download") for a date range, every cell made safe to
    open in a spreadsheet (portal.downloads)."""
    if end < start:
        raise VisitRefused("The end date must not be before the start date.")
    if (end - start).days > 366:
        raise VisitRefused("Ask for at most one year at a time.")
    content = solo_client(organization).csv_data_dump(start=start, end=end)
    content = csv_neutralised(content)  # Solo's cells (names, notes) must not run as formulas
    audit_event_record(
        action="appointment.report.csv",
        request=request,
        actor=by,
        organization=organization,
        detail={"from": start.isoformat(), "to": end.isoformat()},
    )
    return content


def report_job_request(
    *, organization, start: date, end: date, preset_id: str, password: str, by, request=None
) -> ReportJob:
    """Set encounter-report generation in create; the password is sent, never stored."""
    if end < start:
        raise VisitRefused("The end date must not be before the start date.")
    if len(password) < 8:
        raise VisitRefused("Choose a password of at least 8 characters to lock the report.")
    begin = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    finish = datetime.combine(end, datetime.max.time().replace(microsecond=0), tzinfo=UTC)
    answer = solo_client(organization).encounter_report_create(
        start=begin, end=finish, preset_id=preset_id, password=password
    )
    with transaction.atomic():
        job = ReportJob.objects.create(
            organization=organization,
            solo_id=answer["id"],
            starts_on=start,
            ends_on=end,
            preset_id=preset_id,
            status=answer.get("status") or ReportJob.Status.PENDING,
            requested_by=by,
        )
        audit_event_record(action="appointment.report.request", request=request, actor=by, obj=job)
    return job


def report_job_refresh(*, job: ReportJob) -> ReportJob:
    """Check report status; once completed, download the zip into the job."""
    if job.status != ReportJob.Status.PENDING:
        return job
    client = solo_client(job.organization)
    status = client.encounter_report_status(job.solo_id).get("status")
    if status == ReportJob.Status.COMPLETED:
        job.content = client.encounter_report_download(job.solo_id)
        job.status = ReportJob.Status.COMPLETED
    elif status == ReportJob.Status.FAILED:
        job.status = ReportJob.Status.FAILED
    job.save()
    return job


# --- virtual nursing -------------------------------------------------------------------------
def assistance_request_create(*, organization, location: dict, by, request=None):
    """Create Assistance Request (seed 003) for a bed, department room, MRN or device."""
    answer = solo_client(organization).assistance_request_create(location)
    with transaction.atomic():
        item = AssistanceRequest.objects.create(
            organization=organization,
            solo_id=answer["id"],
            location=location,
            device=answer.get("device") or "",
            created_by=by,
        )
        audit_event_record(action="assistance.request", request=request, actor=by, obj=item)
    return item


def assistance_request_cancel(*, item: AssistanceRequest, by, request=None) -> None:
    """Cancel Current Assistance Request; 'Request not found' means it is already closed."""
    try:
        solo_client(item.organization).assistance_request_cancel(item.location)
    except VendorError as exc:
        if exc.status != 404:
            raise
    with transaction.atomic():
        item.status = AssistanceRequest.Status.CANCELLED
        item.cancelled_at = timezone.now()
        item.save(update_fields=["status", "cancelled_at"])
        audit_event_record(action="assistance.cancel", request=request, actor=by, obj=item)


def assistance_request_current(*, organization, location: dict, by, request=None) -> dict | None:
    """Get Current Assistance Request (seed 003) of a bed, department room, MRN or device: Solo's
    request object, or None when Solo answers "Service Request Error: Request not found". The
    answer names the patient, so reading it is audited as a view."""
    try:
        current = solo_client(organization).assistance_request_get(location)
    except VendorError as exc:
        if exc.status == 404 and "Request not found" in (exc.message or ""):
            current = None
        else:
            raise
    if current is not None and not isinstance(current, dict):
        raise VendorError(
            "Solo", "the assistance request came back in a shape the portal cannot read"
        )
    audit_event_record(
        action="assistance.view",
        request=request,
        actor=by,
        organization=organization,
        detail={"found": current is not None, "by": sorted(location)},
    )
    return current


# --- perfect answer (stat teleconsult) -------------------------------------------------------
def consult_request(
    *, organization, patient, reason: str, consult_type: str, location_id: str,
    requesting_provider: str, callback_number: str = "", patient_location: str = "",
    caller: str = "", call_center_notified=None, physician_notified=None, by, request=None,
) -> ConsultRequest:  # fmt: skip
    """Perfect answer API (seed 003): Solo creates or updates the patient, books a visit and
    prefills its PCM note. Solo refuses a second visit for the patient within 24 hours; that
    refusal reaches staff as a VendorError with Solo's own words."""
    body = {
        "firstName": patient.first_name,
        "lastName": patient.last_name,
        "dob": patient.birth_date.isoformat(),
        "locationId": location_id,
        "mrn": patient.mrn,
        "requestingProvider": requesting_provider,
        "consultType": consult_type,
        "reason": reason,
    }
    optional = {
        "physicianCallbackNumber": callback_number,
        "patientLocation": patient_location,
        "caller": caller,
        "callCenterNotified": _iso_z(call_center_notified),
        "physicianNotified": _iso_z(physician_notified),
    }
    body.update({k: v for k, v in optional.items() if v})
    answer = solo_client(organization).perfect_answer(body)
    if not isinstance(answer, dict) or not answer.get("encounterId"):
        raise VendorError("Solo", "the consult answer came back without the visit it created")
    with transaction.atomic():
        item = ConsultRequest.objects.create(
            organization=organization,
            patient=patient,
            reason=reason,
            consult_type=consult_type,
            solo_patient_id=str(answer.get("patientId") or ""),
            encounter_id=str(answer["encounterId"]),
            requested_by=by,
        )
        audit_event_record(
            action="consult.request",
            request=request,
            actor=by,
            patient=patient,
            obj=item,
            detail={"reason": reason, "consult_type": consult_type},
        )
    return item


def _iso_z(moment) -> str:
    """The document's example form, 2019-12-03T14:32:12Z."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- context-aware linking -------------------------------------------------------------------
def context_link_build(*, appointment: Appointment, user, kind: str = "provider") -> str:
    """The Solo `integrations/linking?arg=` URL that opens this visit for `user` (seed 003
    "Context Aware Linking"), encrypted with the brand's linking secret."""
    account = VendorAccount.objects.filter(
        organization=appointment.organization, vendor=Vendor.SOLO, is_enabled=True
    ).first()
    secret = account.secret("linking_secret") if account else ""
    if account is None or not secret:
        raise VisitRefused("Solo context-aware linking is not configured for this organization.")
    patient = appointment.patient
    data = {
        "user": str(user.pk),
        "type": kind,
        "visit": str(appointment.solo_id),
        "date": unix_seconds(appointment.starts_at),
        "patient": {
            "id": patient.solo_id or str(patient.pk),
            "sex": "unknown",
            "dob": patient.birth_date.isoformat(),
            "firstName": patient.first_name,
            "lastName": patient.last_name,
        },
    }
    arg = solo_encrypt_json(secret, data)
    return SoloClient(account.base_url, secrets={}).linking_url(arg)
