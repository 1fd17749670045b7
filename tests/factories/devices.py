"""Device factories. Ids follow the sandbox's demo inventory so vendor calls find them."""

import factory

from devices.models import Device, DeviceSource, DeviceStatus, Item, ItemKind
from tests.factories.core import OrganizationFactory


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
    impilo_device_id = factory.Sequence(lambda n: 600000 + n)
    identifier = factory.Sequence(lambda n: f"BT105-T{n:05d}")
    current_status = DeviceStatus.AVAILABLE_AT_SITE


class AssignedDeviceFactory(DeviceFactory):
    """A device already assigned (set `assigned_patient`)."""

    current_status = DeviceStatus.ASSIGNED
    assigned_patient = None
