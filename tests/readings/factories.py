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
