"""Impilo faults over real HTTP (issue 7): 500s, timeouts, slow and malformed answers and
connection resets during the device sync, a device assignment, the readings pull and the
forwarding of a manual reading. For each cell: staff get a clear message (never an error
page), nothing is half-written, and once the fault clears a retry makes the mirror equal
Impilo's state with no duplicate rows and an empty outbox.

Decisions for an answer lost after Impilo applied the change ("timeout", "reset-after"):
- Assign: the mirror stays unassigned (the portal cannot know) and staff are told Impilo may
  have made the change. Repeating the assignment converges: Impilo refuses an association it
  already has, the portal then reads the device and, finding it with this patient, records
  it as done. The next inventory sync reconciles the same way without staff.
- Forwarding: the outbox keeps the message pending; the retry carries the same
  Idempotency-Key, so Impilo answers with the reading it stored the first time."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from devices.models import Device, DeviceAssignment, DeviceStatus, DeviceStatusChange
from devices.sync import SYNC_KIND, devices_sync
from portal.http import VendorError
from portal.models import Patient, SyncRun
from portal.sandbox import world as demo
from portal.sandbox.impilo_devices import CUSTOMER_ID
from portal.sync import sync_run_start
from readings import tasks
from readings.models import OutboxMessage, OutboxStatus, Reading
from readings.services.manual import manual_reading_record
from readings.sync import IMPILO_READINGS, impilo_readings_sync
from tests.conftest import wait_for
from tests.devices.conftest import demo_sites, shelf_device  # noqa: F401
from tests.factories import demo_patient_mirrored
from tests.reliability.conftest import APPLIED_ANYWAY, EVERY

DEMO = demo.demo_patients()


@pytest.fixture
def followed(org):
    """The first five demo patients, mirrored with their Impilo ids."""
    return [demo_patient_mirrored(org, p) for p in DEMO[:5]]


def impilo_inventory(sandbox, org):
    """Impilo's devices as the mirror should show them (patients the portal does not follow
    stay unassigned here)."""
    followed = set(
        Patient.objects.filter(organization=org).values_list("impilo_patient_id", flat=True)
    )
    return {
        d["id"]: (
            d["identifier"],
            d["currentStatus"],
            d["patientId"] if d["patientId"] in followed else None,
        )
        for d in sandbox.all("impilo", "devices")
        if d["customerId"] == CUSTOMER_ID
    }


def mirror_inventory(org):
    return {
        d.impilo_device_id: (
            d.identifier,
            d.current_status,
            d.assigned_patient.impilo_patient_id if d.assigned_patient else None,
        )
        for d in Device.objects.filter(
            organization=org, impilo_device_id__isnull=False
        ).select_related("assigned_patient")
    }


def assert_said_impilo_did_not_answer(text):
    assert "Impilo did not answer" in text


# --- device sync (the admin's button on the inventory page) ---------------------------------
@pytest.mark.parametrize("kind", EVERY)
def test_device_sync(kind, client, ada, org, followed, vendor_accounts, fault, sandbox):
    client.force_login(ada)
    fault("impilo", kind, "/v1/devices")
    assert client.post("/devices/sync/").status_code == HTTPStatus.FOUND
    page = client.get("/devices/")
    assert page.status_code == HTTPStatus.OK
    run = SyncRun.objects.get(kind="devices.inventory")
    if kind == "slow":
        assert run.status == SyncRun.Status.SUCCEEDED
    else:
        assert run.status == SyncRun.Status.FAILED
        assert_said_impilo_did_not_answer(page.content.decode())
        assert not Device.objects.exists()  # the first page never arrived: nothing half-done

    client.post("/devices/sync/")
    assert mirror_inventory(org) == impilo_inventory(sandbox, org)
    devices = Device.objects.filter(organization=org, impilo_device_id__isnull=False)
    assert devices.count() == len(impilo_inventory(sandbox, org))
    # one "synced" status entry and at most one open assignment per device: nothing twice
    assert DeviceStatusChange.objects.filter(device__in=devices).count() == devices.count()
    assigned = devices.filter(assigned_patient__isnull=False).count()
    assert DeviceAssignment.objects.filter(device__in=devices).count() == assigned > 0


# --- assign a device (API) ------------------------------------------------------------------
@pytest.fixture
def shelf_cuff(org, demo_sites, vendor_accounts):  # noqa: F811
    return shelf_device(org, demo_sites, "BT105-S700")


def assign(api, device, patient):
    return api.post(
        f"/api/v1/devices/{device.pk}/assign", {"patient_id": patient.pk}, format="json"
    )


@pytest.mark.parametrize("kind", [*EVERY, "reset-after"])
def test_device_assign(kind, api, shelf_cuff, followed, fault, sandbox, org):
    """A lost answer is repeated by staff ("timeout") or reconciled by the sync
    ("reset-after"); both end with exactly one open assignment on both sides."""
    patient = followed[2]
    at_impilo = lambda: sandbox.get("impilo", "devices", shelf_cuff.impilo_device_id)  # noqa: E731
    fault("impilo", kind, "/associate")
    answer = assign(api, shelf_cuff, patient)
    if kind == "slow":
        assert answer.status_code == HTTPStatus.OK, answer.json()
    else:
        assert answer.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        body = answer.json()
        assert body["error"] == "vendor_unavailable"
        assert_said_impilo_did_not_answer(body["message"])
        if kind in ("timeout", "reset-after", "malformed", "reset"):  # a POST without answer
            assert "may have made the change anyway" in body["message"]
        shelf_cuff.refresh_from_db()
        assert (shelf_cuff.current_status, shelf_cuff.assigned_patient) == (
            DeviceStatus.AVAILABLE_AT_SITE,
            None,
        )
        assert not DeviceAssignment.objects.exists()
        if kind in APPLIED_ANYWAY:
            wait_for(lambda: at_impilo()["patientId"] == patient.impilo_patient_id)
        else:
            assert at_impilo()["patientId"] is None

        if kind == "reset-after":
            run = devices_sync(
                run=sync_run_start(organization=org, kind=SYNC_KIND, join_running=True)
            )
            assert run.status == SyncRun.Status.SUCCEEDED, run.errors
        else:
            assert assign(api, shelf_cuff, patient).status_code == HTTPStatus.OK

    shelf_cuff.refresh_from_db()
    assert (shelf_cuff.current_status, shelf_cuff.assigned_patient) == (
        at_impilo()["currentStatus"],
        patient,
    )
    assert at_impilo()["patientId"] == patient.impilo_patient_id
    assert DeviceAssignment.objects.filter(device=shelf_cuff, ended_at__isnull=True).count() == 1
    assert DeviceAssignment.objects.count() == 1 or kind == "reset-after"


# --- readings pull (Celery beat → service) ----------------------------------------------------
@pytest.fixture
def few_readings(sandbox, followed):
    """Impilo keeps 24 readings of the followed patients (pages of 10), so a pull is quick."""
    known = {p.impilo_patient_id for p in followed}
    keep = [r for r in sandbox.all("impilo", "readings") if r["patient"]["id"] in known][:24]
    sandbox.collection("impilo", "readings").clear()
    for r in keep:
        sandbox.put("impilo", "readings", r["id"], r)
    return keep


def readings_pull(org):
    """What the task does: start a run (from the last saved cursor), then pull into it."""
    run = sync_run_start(organization=org, kind=IMPILO_READINGS)
    return impilo_readings_sync(run=run, page_size=10)


@pytest.mark.parametrize("kind", EVERY)
def test_impilo_readings_pull(kind, org, few_readings, vendor_accounts, fault):
    fault("impilo", kind, "/v1/readings")
    if kind == "slow":
        assert readings_pull(org).status == "succeeded"
    else:
        with pytest.raises(VendorError):  # the task retries it with backoff
            readings_pull(org)
        run = SyncRun.objects.get(kind="impilo.readings")
        assert run.status == SyncRun.Status.FAILED
        assert_said_impilo_did_not_answer(run.errors[-1])
        assert not Reading.objects.exists()
        assert readings_pull(org).status == "succeeded"

    stored = set(Reading.objects.values_list("source_record_id", flat=True))
    assert stored == {str(r["id"]) for r in few_readings}
    rows = Reading.objects.count()
    again = readings_pull(org)
    assert (again.created, Reading.objects.count()) == (0, rows)


# --- forwarding a manual reading through the outbox -------------------------------------------
TAKEN = datetime(2026, 11, 20, 14, 15, tzinfo=UTC)


def record_manual(patient, nurse, metric, value, capture):
    with capture(execute=True):
        manual_reading_record(
            patient=patient,
            metric=metric,
            value=value,
            second_value=80 if metric == "systolic" else None,
            measured_at=TAKEN,
            by=nurse,
        )


def sweep_due():
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    return tasks.outbox_retry_due.delay().get()


@pytest.mark.parametrize(
    ("vendor", "kind"),
    [("impilo", k) for k in [*EVERY, "reset-after"]]
    + [("patient_graph", k) for k in ["500", "timeout", "reset"]],
)
def test_manual_reading_forwarding(
    vendor,
    kind,
    alice,
    followed,
    vendor_accounts,
    fault,
    sandbox,
    django_capture_on_commit_callbacks,
):
    patient = followed[0]
    if vendor == "impilo":
        path, collection, metric, value, expected = "/heart-rate", "readings", "heart_rate", 88, 1
    else:
        path, collection, metric, value, expected = "/metrics", "metrics", "systolic", 150, 2
    sent = lambda: [  # noqa: E731
        r
        for r in sandbox.all(vendor, collection)
        if r.get("manual") is True or r.get("source") == "manual"
    ]
    fault(vendor, kind, path)
    record_manual(patient, alice, metric, value, django_capture_on_commit_callbacks)
    readings = Reading.objects.filter(patient=patient, manual=True)
    assert readings.count() == expected  # stored here whatever the vendor did
    if kind == "slow":
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"delivered"}
    else:
        failed = OutboxMessage.objects.get(attempts=1, status=OutboxStatus.PENDING)
        assert "did not answer" in failed.last_error
        assert failed.next_attempt_at > timezone.now()
        if kind in APPLIED_ANYWAY:
            wait_for(lambda: len(sent()) == 1, message="the held request to be applied")
        assert sweep_due() >= 1

    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == expected
    assert len(sent()) == expected  # never twice at the vendor
    assert sweep_due() == 0
    assert readings.count() == expected
