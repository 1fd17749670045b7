"""Smart Meter connect / disconnect (seed 004) through the services."""

import pytest

from devices.models import DeviceSource, DeviceStatus, SmartMeterConnection
from devices.services import (
    DeviceRuleError,
    DeviceVendorError,
    smart_meter_connect,
    smart_meter_disconnect,
    smart_meter_disconnect_all,
)
from devices.validators import LUHN_WARNING
from portal.models import AuditEvent
from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)

IMEI = demo._imei(777)
IMEI_2 = demo._imei(778)


@pytest.fixture
def newcomer(org, vendor_accounts):
    """A patient of `org` not yet provisioned at Validic."""
    return PatientFactory(organization=org, mrn="RHV-NEW-1", validic_user_id=None)


def test_connect_provisions_the_patient_and_mirrors_the_connection(newcomer, alice, sandbox):
    connection = smart_meter_connect(
        patient=newcomer, imei=f"{IMEI[:5]} {IMEI[5:]}", device_type="blood_glucose", by=alice
    )
    newcomer.refresh_from_db()
    assert newcomer.validic_user_id == sandbox.get("validic", "users", "RHV-NEW-1")["id"]
    assert (connection.imei, connection.device_type, connection.deleted_at) == (
        IMEI,
        "blood_glucose",
        None,
    )
    device = connection.device
    assert (device.source, device.identifier, device.assigned_patient) == (
        DeviceSource.VALIDIC,
        IMEI,
        newcomer,
    )
    assert device.item.kind == "glucometer"
    assert device.assignments.get().ended_at is None
    assert AuditEvent.objects.filter(action="smart_meter.connect", patient=newcomer).count() == 1
    assert sandbox.get("validic", "connections", IMEI)["credentials"]["device_type"] == (
        "blood_glucose"
    )


@pytest.mark.parametrize(
    ("imei", "code", "message"),
    [
        (
            "12345",
            "invalid_imei",
            "An IMEI is exactly 15 digits (it is printed under the barcode on the device).",
        ),
        # seed 004's own example IMEI: 15 digits, but its check digit is wrong: a warning that
        # staff confirm past (test_smart_meter_imei_warning.py), refused until they do
        ("123453782873223", "imei_check_digit", LUHN_WARNING),
    ],
)
def test_connect_refuses_a_bad_imei_before_calling_validic(newcomer, imei, code, message):
    with pytest.raises(DeviceRuleError) as caught:
        smart_meter_connect(patient=newcomer, imei=imei, device_type="blood_glucose")
    assert (caught.value.code, caught.value.message, caught.value.status) == (code, message, 422)
    newcomer.refresh_from_db()
    assert newcomer.validic_user_id is None  # not even provisioned


def test_connect_refuses_an_imei_already_connected(newcomer, org):
    smart_meter_connect(patient=newcomer, imei=IMEI, device_type="blood_glucose")
    other = PatientFactory(organization=org, mrn="RHV-NEW-2")
    with pytest.raises(DeviceRuleError, match="already connected to another patient"):
        smart_meter_connect(patient=other, imei=IMEI, device_type="blood_glucose")


def test_validic_outage_leaves_nothing_behind(newcomer, faults):
    faults.inject("validic", FaultMode.ERROR, 1, path_contains="/direct/auth/smart_meter")
    with pytest.raises(DeviceVendorError) as caught:
        smart_meter_connect(patient=newcomer, imei=IMEI, device_type="blood_glucose")
    assert caught.value.is_outage
    assert not SmartMeterConnection.objects.exists()
    newcomer.refresh_from_db()
    assert newcomer.validic_user_id is None
    # Provisioned at Validic during the failed attempt: the retry finds the user (409 → GET).
    connection = smart_meter_connect(patient=newcomer, imei=IMEI, device_type="blood_glucose")
    assert connection.is_active


def test_disconnect_one_keeps_the_others(newcomer, bob, sandbox):
    first = smart_meter_connect(patient=newcomer, imei=IMEI, device_type="blood_glucose")
    smart_meter_connect(patient=newcomer, imei=IMEI_2, device_type="pulse_oximeter")
    smart_meter_disconnect(connection=first, by=bob)
    first.refresh_from_db()
    assert first.deleted_reason == "User disconnected from Direct Endpoint"
    assert first.deleted_at is not None
    assert first.device.current_status == DeviceStatus.AVAILABLE_AT_SITE
    assert first.device.assignments.get().ended_by == bob
    assert set(
        SmartMeterConnection.objects.filter(deleted_at__isnull=True).values_list("imei", flat=True)
    ) == {IMEI_2}
    assert sandbox.get("validic", "connections", IMEI) is None


def test_disconnect_all(newcomer, sandbox):
    smart_meter_connect(patient=newcomer, imei=IMEI, device_type="blood_glucose")
    smart_meter_connect(patient=newcomer, imei=IMEI_2, device_type="pulse_oximeter")
    gone = smart_meter_disconnect_all(patient=newcomer)
    assert len(gone) == 2
    assert not SmartMeterConnection.objects.filter(deleted_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="smart_meter.disconnect_all").get().detail == {
        "count": 2
    }
    with pytest.raises(DeviceRuleError, match="no Smart Meter connected"):
        smart_meter_disconnect_all(patient=newcomer)
