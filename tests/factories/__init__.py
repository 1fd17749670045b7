"""Every test factory, one import place: `from tests.factories import PatientFactory, ...`.
factory_boy factories per app (core, devices, readings), the care helpers that go through the
real services (a reading evaluated as ingestion would, a time entry), and the route walker's
world. Build only the rows a test needs."""

from tests.factories.care import entry, evaluated, reading
from tests.factories.core import (
    MembershipFactory,
    OrganizationFactory,
    PatientFactory,
    SiteFactory,
    UserFactory,
    api_key,
    cast_member,
    demo_patient_mirrored,
    other_organization,
    our_organization,
    our_patient,
    staff,
)
from tests.factories.devices import AssignedDeviceFactory, DeviceFactory, ItemFactory
from tests.factories.readings import ReadingFactory, demo_month_for
from tests.factories.world import route_world

__all__ = [
    "AssignedDeviceFactory",
    "DeviceFactory",
    "ItemFactory",
    "MembershipFactory",
    "OrganizationFactory",
    "PatientFactory",
    "ReadingFactory",
    "SiteFactory",
    "UserFactory",
    "api_key",
    "cast_member",
    "demo_month_for",
    "demo_patient_mirrored",
    "entry",
    "evaluated",
    "other_organization",
    "our_organization",
    "our_patient",
    "reading",
    "route_world",
    "staff",
]
