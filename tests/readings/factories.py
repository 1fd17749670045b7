"""Readings (and assigned devices) for the readings tests."""

import datetime as dt

import factory

from devices.models import DeviceStatus
from readings.models import Reading, ReadingSource
from readings.units import METRICS
from tests.devices import factories as devices_factories
from tests.devices.factories import ItemFactory
from tests.factories import PatientFactory


class DeviceFactory(devices_factories.DeviceFactory):
    """A device already assigned (readings tests set `assigned_patient`)."""

    current_status = DeviceStatus.ASSIGNED
    assigned_patient = None


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
    from portal import demo
    from readings.demo import load

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
        DeviceFactory(
            organization=org,
            item=ItemFactory(impilo_item_id=device.item_id, name=name, kind=kind),
            source=device.source,
            impilo_device_id=device.impilo_device_id,
            identifier=device.identifier,
            assigned_patient=patient,
        )

    class Quiet:
        def write(self, text):
            pass

    load(organization=org, patients=[patient], users={}, rng=None, stdout=Quiet())
    return patient
