"""One row of every model Django admin shows, for one organization, every name and identifier
carrying `tag` — so a page that shows another organization's row is caught by its tag."""

import datetime as dt
import hashlib

from django.utils import timezone

from appointments.models import (
    Appointment,
    AppointmentChange,
    AssistanceRequest,
    Attachment,
    Episode,
    ReportJob,
    VisitNote,
    WaitingRoom,
    WebhookDelivery,
    WebhookSubscription,
)
from devices.models import DeviceAssignment, DeviceStatusChange, SmartMeterConnection
from portal.models import AuditEvent, Role, Site, SyncRun, VendorAccount
from readings.models import Alert, AlertEvent, OutboxMessage, ThresholdRule
from tests import factories
from tests.factories import DeviceFactory, ItemFactory, entry, reading


def populate(org, tag: str, number: int) -> dict:
    """`number` (1 or 2) keeps the numeric vendor ids of the two worlds apart."""
    now = timezone.now()
    nurse = factories.staff(
        org, Role.NURSE, username=f"{tag.lower()}nurse", first_name=f"{tag}Nurse"
    )
    site = Site.objects.create(organization=org, name=f"{tag} Clinic", impilo_site_id=number)
    patient = factories.PatientFactory(
        organization=org,
        mrn=f"{tag}-MRN",
        first_name=f"{tag}First",
        last_name=f"{tag}Last",
        primary_nurse=nurse,
        solo_id=f"{tag}-solo",
    )
    key, _ = factories.api_key(org, name=f"{tag} hub")
    VendorAccount.objects.create(
        organization=org, vendor="impilo", base_url=f"https://{tag.lower()}.impilo.example/"
    )
    AuditEvent.objects.create(
        organization=org, actor=nurse, patient=patient, action="patient.view", object_id=tag
    )
    SyncRun.objects.create(organization=org, kind=f"{tag}.devices", triggered_by=nurse)
    item = ItemFactory(impilo_item_id=101)
    device = DeviceFactory(
        organization=org,
        item=item,
        site=site,
        identifier=f"{tag}-DEV",
        assigned_patient=patient,
        current_status="assigned",
    )
    DeviceStatusChange.objects.create(device=device, to_status="assigned", note=f"{tag} note")
    DeviceAssignment.objects.create(device=device, patient=patient, assigned_at=now)
    imei = "35693803564380" + str(number)
    SmartMeterConnection.objects.create(
        patient=patient, imei=imei, device_type="blood_pressure", created_at=now, device=device
    )
    value = reading(patient, "systolic", 190.0, device=device, source_record_id=f"{tag}-rec")
    OutboxMessage.objects.create(
        organization=org, reading=value, vendor="impilo", operation=f"{tag}-op", payload={}
    )
    rule = ThresholdRule.objects.create(
        organization=org,
        patient=patient,
        kind="single",
        metric="systolic",
        value=180,
        reason=f"{tag} reason",
    )
    alert = Alert.objects.create(
        organization=org,
        patient=patient,
        rule=rule,
        rule_key=f"{tag}-rule",
        rule_text=f"{tag} rule text",
        kind="single",
        severity="critical",
        first_triggered_at=now,
        last_triggered_at=now,
    )
    AlertEvent.objects.create(alert=alert, action="triggered", actor=nurse, note=f"{tag} seen")
    entry(patient, nurse, minutes=5, note=f"{tag} call")
    room = WaitingRoom.objects.create(organization=org, solo_id=f"{tag}-wr", name=f"{tag} Room")
    episode = Episode.objects.create(
        organization=org,
        patient=patient,
        solo_id=f"{tag}-ep",
        name=f"{tag} Episode",
        kind="rpm",
        starts_on=dt.date(2026, 1, 1),
        status="active",
    )
    visit = Appointment.objects.create(
        organization=org,
        patient=patient,
        waiting_room=room,
        episode=episode,
        solo_id=990000 + number,
        starts_at=now + dt.timedelta(days=1),
        booked_by=nurse,
    )
    AppointmentChange.objects.create(
        appointment=visit, status="scheduled", starts_at=visit.starts_at, source="portal", by=nurse
    )
    VisitNote.objects.create(appointment=visit, template_name=f"{tag} template")
    Attachment.objects.create(
        appointment=visit,
        solo_id=f"{tag}-att",
        title=f"{tag}-ecg.pdf",
        mime_type="application/pdf",
        size=10,
        uploaded_at=now,
        uploaded_by=nurse,
    )
    subscription = WebhookSubscription.objects.create(
        organization=org, endpoint=f"https://{tag.lower()}.example/hook", solo_id=f"{tag}-hook"
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        digest=hashlib.sha256(tag.encode()).hexdigest(),
        event="appointment:updated",
        object_id=f"{tag}-obj",
    )
    AssistanceRequest.objects.create(
        organization=org, solo_id=f"{tag}-ar", location={"mrn": patient.mrn}, created_by=nurse
    )
    ReportJob.objects.create(
        organization=org,
        solo_id=f"{tag}-rep",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
        preset_id=f"{tag}-preset",
        requested_by=nurse,
    )
    return {"nurse": nurse, "patient": patient, "device": device, "key": key, "alert": alert}
