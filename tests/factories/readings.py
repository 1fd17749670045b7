"""Readings (and assigned devices) for the readings tests."""

import datetime as dt

import factory

from readings.models import Reading, ReadingSource
from readings.units import METRICS
from tests.factories.core import PatientFactory
from tests.factories.devices import AssignedDeviceFactory, ItemFactory


class ReadingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reading

    patient = factory.SubFactory(PatientFactory)
    organization = factory.SelfAttribute("patient.organization")
    metric = "heart_rate"
    value = 72.0
    unit = factory.LazyAttribute(lambda o: METRICS[o.metric].unit if o.metric in METRICS else "")
    loinc = factory.LazyAttribute(lambda o: METRICS[o.metric].loinc if o.metric in METRICS else "")
    measured_at = factory.LazyFunction(lambda: dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1))
    source = ReadingSource.IMPILO
    source_record_id = factory.Sequence(lambda n: f"rec-{n}")


def demo_month_for(org, demo_index: int, **patient_fields):
    """A patient of `org` carrying demo patient `demo_index`'s vendor ids, their demo devices,
    and the demo month of readings (the same data the sandbox serves)."""
    from portal.sandbox import world as demo

    person = demo.demo_patients()[demo_index]
    patient = PatientFactory(
        organization=org,
        first_name=patient_fields.pop("first_name", person.first_name),
        last_name=patient_fields.pop("last_name", person.last_name),
        mrn=person.mrn,
        zip_code=person.zip_code,
        time_zone=person.time_zone,
        impilo_patient_id=person.impilo_patient_id,
        validic_user_id=person.validic_user_id,
        patient_graph_id=person.patient_graph_id,
        **patient_fields,
    )
    names = {item_id: (name, kind) for item_id, name, kind in demo.ITEMS}
    for device in demo.demo_devices():
        if device.patient_index != demo_index:
            continue
        name, kind = names[device.item_id]
        AssignedDeviceFactory(
            organization=org,
            item=ItemFactory(impilo_item_id=device.item_id, name=name, kind=kind),
            source=device.source,
            impilo_device_id=device.impilo_device_id,
            identifier=device.identifier,
            assigned_patient=patient,
        )
    _demo_month_insert(org, patient)
    return patient


def _demo_month_insert(org, patient):
    """The sandbox's month of readings for `patient`, stored through the ingestion normalisers
    without a vendor pull (the demo loader pulls them; these tests need only the rows)."""
    from portal.sandbox.world_readings import impilo_readings, validic_records
    from readings.services import impilo_reading_inputs, readings_insert, validic_record_inputs

    devices = {d.impilo_device_id: d for d in patient.devices.all() if d.impilo_device_id}
    items = []
    for obj in impilo_readings():
        if obj["patient"]["id"] == patient.impilo_patient_id:
            items += impilo_reading_inputs(
                organization=org,
                obj=obj,
                patients={patient.impilo_patient_id: patient},
                devices=devices,
            )
    for record in validic_records():
        if record["user"]["user_id"] == patient.validic_user_id:
            items += validic_record_inputs(organization=org, record=record, check_device=False)
    readings_insert(organization=org, items=items)
