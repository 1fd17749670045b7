"""Devices and readings for the readings tests (devices are created directly, as the devices
app's services are built in parallel)."""

import datetime as dt

import factory

from devices.models import Device, DeviceSource, DeviceStatus, Item, ItemKind
from readings.models import Reading, ReadingSource
from readings.units import METRICS
from tests.factories import OrganizationFactory, PatientFactory


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item
        django_get_or_create = ("impilo_item_id",)

    impilo_item_id = 101
    name = "BodyTrace BT105 Blood Pressure Monitor"
    kind = ItemKind.BLOOD_PRESSURE


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    organization = factory.SubFactory(OrganizationFactory)
    item = factory.SubFactory(ItemFactory)
    source = DeviceSource.IMPILO
    impilo_device_id = factory.Sequence(lambda n: 70000 + n)
    identifier = factory.Sequence(lambda n: f"BT105-T{n:04d}")
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
