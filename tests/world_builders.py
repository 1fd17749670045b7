"""Objects of `org` that the route walker (tests/security/test_route_tenancy.py) puts into URLs.
Each app adds what its routes need; keep it to one object per kind."""

from django.utils import timezone


def build(org, patient) -> dict:
    from devices.models import SmartMeterConnection
    from tests.devices.factories import DeviceFactory

    device = DeviceFactory(organization=org)
    connection = SmartMeterConnection.objects.create(
        patient=patient,
        imei="356938035643809",
        device_type="blood_pressure",
        created_at=timezone.now(),
    )
    return {"device": device, "smart_meter": connection}
