import pytest

from devices.models import DeviceSource, DeviceStatus, ItemKind
from tests.factories import AssignedDeviceFactory, ItemFactory


@pytest.fixture
def cuff(org, patient):
    """A BP cuff of `org`, assigned to `patient`."""
    patient.impilo_patient_id = 30001
    patient.patient_graph_id = "pg-9001"
    patient.validic_user_id = "652572SAMPLEe18b8b8"
    patient.save()
    return AssignedDeviceFactory(
        organization=org, assigned_patient=patient, impilo_device_id=80011, identifier="BT105-1"
    )


@pytest.fixture
def oximeter(org, patient, cuff):
    """The Smart Meter iPulseOx of seed 004's sample (IMEI 111111111111111), `patient`'s."""
    item = ItemFactory(
        impilo_item_id=103, name="Smart Meter iPulseOx", kind=ItemKind.PULSE_OXIMETER
    )
    return AssignedDeviceFactory(
        organization=org,
        item=item,
        source=DeviceSource.VALIDIC,
        impilo_device_id=None,
        identifier="111111111111111",
        assigned_patient=patient,
    )


@pytest.fixture
def decommissioned(org):
    return AssignedDeviceFactory(
        organization=org,
        identifier="BT105-D001",
        impilo_device_id=80099,
        current_status=DeviceStatus.DECOMMISSIONED,
    )
