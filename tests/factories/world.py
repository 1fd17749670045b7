"""Objects of `org` that the route walker (tests/security/test_route_tenancy.py) puts into URLs.
Each app adds what its routes need; keep it to one object per kind."""

from django.utils import timezone


def route_world(org, patient) -> dict:
    from devices.models import SmartMeterConnection
    from tests.factories.devices import DeviceFactory

    device = DeviceFactory(organization=org)
    connection = SmartMeterConnection.objects.create(
        patient=patient,
        imei="356938035643809",
        device_type="blood_pressure",
        created_at=timezone.now(),
    )
    from appointments.models import (
        Appointment,
        AssistanceRequest,
        Attachment,
        Episode,
        ReportJob,
        WaitingRoom,
    )

    room = WaitingRoom.objects.create(organization=org, solo_id="wr-1", name="Cardiology")
    visit = Appointment.objects.create(
        organization=org,
        patient=patient,
        waiting_room=room,
        solo_id=990001,
        starts_at=timezone.now() + timezone.timedelta(days=1),
    )
    attachment = Attachment.objects.create(
        appointment=visit,
        solo_id="att-1",
        title="ecg.pdf",
        mime_type="application/pdf",
        size=10,
        uploaded_at=timezone.now(),
    )
    report = ReportJob.objects.create(
        organization=org,
        solo_id="rep-1",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        preset_id="p1",
    )
    episode = Episode.objects.create(
        organization=org,
        patient=patient,
        solo_id="ep-1",
        name="Heart failure",
        kind="rpm",
        starts_on=timezone.localdate(),
        status="active",
    )
    assistance = AssistanceRequest.objects.create(
        organization=org, solo_id="ar-1", location={"mrn": patient.mrn}
    )
    return {
        "device": device,
        "smart_meter": connection,
        "appointment": visit,
        "attachment": attachment,
        "report": report,
        "assistance": assistance,
        "episode": episode,
        **_care(org),
        "signature": _signature(org, patient),
    }


def _signature(org, patient):
    """Last month signed by a physician, with `patient` on it (a device day and time logged),
    through the real signing service (billing routes)."""
    import datetime as dt

    from portal.models import Role
    from readings.care import signing
    from tests.factories.care import entry, reading
    from tests.factories.core import staff
    from tests.factories.devices import AssignedDeviceFactory

    now = timezone.now()
    # The month before the one two days ago: a month that has ended in every time zone (in the
    # first hours of a month in UTC, the previous one has not ended yet in the Americas).
    this_month = (now - dt.timedelta(days=2)).date().replace(day=1)
    first = (this_month - dt.timedelta(days=1)).replace(day=1)
    cuff = AssignedDeviceFactory(organization=org, assigned_patient=patient)
    for day in (3, 4):
        noon = dt.datetime.combine(first.replace(day=day), dt.time(12), tzinfo=patient.tz)
        reading(patient, "systolic", 128, at=noon.astimezone(dt.UTC), device=cuff)
    author = staff(org, Role.PHYSICIAN, username="walker-physician")
    entry(patient, author, minutes=12, day=first.replace(day=5), activity="call", interactive=True)
    signature, _ = signing.billing_month_sign(organization=org, month=first, by=author, now=now)
    return signature


def _care(org) -> dict:
    """An open alert and a time entry of one of `org`'s patients (care routes)."""
    import datetime as dt

    from portal.models import Membership
    from readings.models import Alert
    from tests.factories.care import entry, evaluated
    from tests.factories.core import PatientFactory

    patient = PatientFactory(organization=org, last_name="Carewalker")
    evaluated(patient, "systolic", 190, at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1))
    author = Membership.objects.filter(organization=org).first().user
    alert = Alert.objects.get(patient=patient)
    from readings.care.outreach import outreach_attempt_log

    return {
        "alert": alert,
        "time_entry": entry(patient, author, minutes=5),
        "notification": _notification(alert, author),
        # the worklists' rows and the program report's outreach count (worklist routes)
        "outreach": outreach_attempt_log(
            patient=patient, by=author, outcome="no_answer", medium="phone"
        ),
    }


def _notification(alert, recipient):
    """A portal notice of `alert` for `recipient` (the notice routes)."""
    from django.utils import timezone

    from readings.care.models import Notification

    return Notification.objects.create(
        organization=alert.organization,
        alert=alert,
        recipient=recipient,
        channel="portal",
        reason="on_call",
        severity=alert.severity,
        due_at=timezone.now(),
        status="delivered",
    )
