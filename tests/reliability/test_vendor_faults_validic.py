"""Validic faults over real HTTP (issue 7): connecting a Smart Meter by IMEI (the patient
page's form) and the measurements pull, under 500s, timeouts, slow and malformed answers and
connection resets. Staff get a message, not an error page; nothing is half-written; once the
fault clears, a retry makes the mirror equal Validic's state with no duplicate rows.

Decision for an answer lost after Validic made the connection ("timeout", "reset-after"): the
mirror shows no connection and staff are told Validic may have made it; connecting the same
IMEI again is safe, because Validic answers a repeated connection of the same user and IMEI
with the existing connection, which the portal then records once."""

from http import HTTPStatus

import pytest

from devices.models import Device, DeviceAssignment, SmartMeterConnection
from portal.http import VendorError
from portal.models import SyncRun
from portal.sandbox import world as demo
from portal.sync import sync_run_start
from readings.models import Reading
from readings.sync import VALIDIC_MEASUREMENTS, validic_measurements_sync
from tests.conftest import wait_for
from tests.factories import demo_patient_mirrored
from tests.reliability.conftest import APPLIED_ANYWAY, EVERY

DEMO = demo.demo_patients()
IMEI = demo._imei(9999)  # a Luhn-valid IMEI nobody has connected


@pytest.fixture
def followed(org):
    """The first five demo patients, known to Validic (provisioned users)."""
    return [demo_patient_mirrored(org, p) for p in DEMO[:5]]


# --- connect a Smart Meter (patient page form) ----------------------------------------------
@pytest.mark.parametrize("kind", [*EVERY, "reset-after"])
def test_smart_meter_connect(kind, nurse_client, followed, vendor_accounts, fault, sandbox):
    patient = followed[1]
    url = f"/devices/patients/{patient.pk}/smart-meters/"
    form = {"imei": IMEI, "device_type": "pulse_oximeter", "next": "/"}
    at_validic = lambda: sandbox.get("validic", "connections", IMEI)  # noqa: E731
    fault("validic", kind, "/direct/auth/smart_meter")
    page = nurse_client.post(url, form, follow=True)
    assert page.status_code == HTTPStatus.OK
    if kind != "slow":
        assert "Validic did not answer" in page.content.decode()
        assert not SmartMeterConnection.objects.exists()
        assert not Device.objects.filter(identifier=IMEI).exists()
        if kind in APPLIED_ANYWAY:
            assert "may have made the change anyway" in page.content.decode()
            wait_for(lambda: at_validic() is not None, message="the held request")
        else:
            assert at_validic() is None
        page = nurse_client.post(url, form, follow=True)
        assert page.status_code == HTTPStatus.OK

    connection = SmartMeterConnection.objects.get()  # exactly one, active
    assert (connection.patient, connection.imei, connection.deleted_at) == (patient, IMEI, None)
    assert at_validic()["user_id"] == patient.validic_user_id
    device = Device.objects.get(identifier=IMEI)
    assert DeviceAssignment.objects.filter(device=device, ended_at__isnull=True).count() == 1


# --- measurements pull (Celery beat → service) ------------------------------------------------
@pytest.fixture
def few_records(sandbox, followed):
    """Validic keeps 24 records of the followed patients (pages of 10), so a pull is quick."""
    mrns = {p.mrn for p in followed}
    keep = [r for r in sandbox.all("validic", "measurements") if r["user"]["uid"] in mrns][:24]
    assert keep
    sandbox.collection("validic", "measurements").clear()
    for r in keep:
        sandbox.put("validic", "measurements", r["id"], r)
    return keep


def measurements_pull(org):
    """What the task does: start a run (from the last saved cursor), then pull into it."""
    run = sync_run_start(organization=org, kind=VALIDIC_MEASUREMENTS)
    return validic_measurements_sync(run=run, page_size=10)


@pytest.mark.parametrize("kind", EVERY)
def test_validic_measurements_pull(kind, org, few_records, vendor_accounts, fault):
    fault("validic", kind, "/measurements")
    if kind == "slow":
        assert measurements_pull(org).status == "succeeded"
    else:
        with pytest.raises(VendorError):  # the task retries it with backoff
            measurements_pull(org)
        run = SyncRun.objects.get(kind="validic.measurements")
        assert run.status == SyncRun.Status.FAILED
        assert "Validic did not answer" in run.errors[-1]
        assert not Reading.objects.exists()
        assert measurements_pull(org).status == "succeeded"

    stored = set(Reading.objects.values_list("source_record_id", flat=True))
    assert stored == {r["id"] for r in few_records}
    rows = Reading.objects.count()
    again = measurements_pull(org)
    assert (again.created, Reading.objects.count()) == (0, rows)
