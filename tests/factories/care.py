"""Readings and time entries for the care tests, built through the real services
where a service exists (ingestion is the readings app's; its factory is used for speed)."""

import datetime as dt

from devices.models import Device
from readings.alerts import alerts_evaluate_readings
from readings.care import services
from readings.models import ReadingSource
from tests.factories.devices import AssignedDeviceFactory
from tests.factories.readings import ReadingFactory


def reading(patient, metric="systolic", value=120.0, at=None, manual=False, **extra):
    """A reading of `patient`; one not manual comes from the patient's test cuff (assigned to
    them, no assignment history), so it is device data unless `device` says otherwise."""
    if not manual and "device" not in extra:
        extra["device"] = patient_device(patient)
    return ReadingFactory(
        patient=patient,
        metric=metric,
        value=value,
        measured_at=at or dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1),
        manual=manual,
        source=ReadingSource.MANUAL if manual else ReadingSource.IMPILO,
        **extra,
    )


def patient_device(patient):
    """The patient's test cuff (created on first use)."""
    identifier = f"CUFF-{patient.pk}"
    return Device.objects.filter(identifier=identifier).first() or AssignedDeviceFactory(
        organization=patient.organization, assigned_patient=patient, identifier=identifier
    )


def evaluated(patient, metric="systolic", value=120.0, at=None, **extra):
    """A reading, stored and evaluated as ingestion will (alerts_evaluate_readings)."""
    r = reading(patient, metric, value, at, **extra)
    alerts_evaluate_readings(readings=[r])
    return r


def entry(patient, author, minutes=10, day=None, interactive=False, seconds=None, **extra):
    """A time entry through the service. `interactive=True` makes it a phone call with the
    patient (the contact 99470/99457 need); `seconds` overrides `minutes`."""
    if interactive:
        extra = {"activity": "call", "contact_medium": "phone", "contact_with": "patient", **extra}
    return services.time_entry_create(
        patient=patient,
        by=author,
        day=day or services.patient_today(patient),
        seconds=seconds if seconds is not None else minutes * 60,
        **extra,
    )
