"""Claim → call → record: no row lock while a vendor is called, and every crash window ends
with the mirror equal to the vendor's state and nothing recorded twice."""

import threading

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F

from devices import sync
from devices.clients import ImpiloClient, ValidicClient
from devices.models import (
    Device,
    DeviceAssignment,
    DeviceOperation,
    DeviceStatus,
    DeviceStatusChange,
    SmartMeterConnection,
)
from devices.services import (
    DeviceRuleError,
    DeviceVendorError,
    device_assign,
    device_replace,
    device_set_status,
    device_unassign,
    smart_meter_connect,
    smart_meter_disconnect,
    smart_meter_disconnect_all,
)
from devices.services import assignment as assignment_services
from devices.services import smart_meter as smart_meter_services
from devices.services.claims import CLAIM_STALE_AFTER
from portal.http import MAX_RETRY_AFTER_SECONDS
from portal.models import AuditEvent, SyncRun
from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode
from portal.sync import sync_run_start
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db(transaction=True)

IMEI = demo._imei(779)


class Crash(BaseException):
    """The process dies here: no `except Exception` runs, so the claim stays behind (as after
    a killed worker)."""


def elsewhere(work):
    """Run `work` on another thread, so on another database connection; its result or error."""
    outcome = {}

    def run():
        try:
            outcome["result"] = work()
        except Exception as exc:
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return outcome


def lock_now(model, pk):
    """From another connection: lock the row without waiting (fails if anyone holds it)."""

    def work():
        with transaction.atomic():
            model.objects.select_for_update(nowait=True).get(pk=pk)
        return "locked"

    return elsewhere(work)


def unless_locked(locked, work):
    """(`locked`, the outcome of `work` on another connection) — `work` only runs when the row
    was free, since it would wait for the lock otherwise."""
    return locked, elsewhere(work) if "result" in locked else None


def during(monkeypatch, cls, method, work):
    """Run `work` while `cls.method` is in flight (before the request leaves); keep its
    outcome in the returned list."""
    real = getattr(cls, method)
    seen = []

    def wrapped(self, *args, **kwargs):
        if not seen:
            seen.append(work())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, wrapped)
    return seen


def stale(**filters):
    """Age the claims left behind past CLAIM_STALE_AFTER, as if that much time had passed."""
    DeviceOperation.objects.filter(**filters).update(started_at=F("started_at") - CLAIM_STALE_AFTER)


def run_sync(org):
    return sync.devices_sync(
        run=sync_run_start(organization=org, kind=sync.SYNC_KIND, join_running=True)
    )


@pytest.fixture
def assigned(cuff, harriet, alice):
    device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    return cuff


# --- no lock while the vendor is called --------------------------------------------------------
def test_assign_holds_no_row_lock_during_the_impilo_call(
    monkeypatch, cuff, harriet, org, alice, bob
):
    other = PatientFactory(organization=org, impilo_patient_id=30004)

    def meanwhile():
        return unless_locked(
            lock_now(Device, cuff.pk),
            lambda: device_assign(device=Device.objects.get(pk=cuff.pk), patient=other),
        )

    seen = during(monkeypatch, ImpiloClient, "associate_device", meanwhile)
    device_assign(device=cuff, patient=harriet, by=alice)
    locked, second = seen[0]
    assert locked == {"result": "locked"}
    # Refused at once (no waiting for Impilo), with the conflict the rules give afterwards.
    assert second["error"].code == "device_already_assigned"
    assert second["error"].status == 409
    assert DeviceAssignment.objects.get().patient == harriet
    assert not DeviceOperation.objects.exists()


@pytest.mark.parametrize(
    ("method", "act"),
    [
        ("disassociate_device", lambda d, s: device_unassign(device=d)),
        ("replace_device", lambda d, s: device_replace(device=d, replacement=s, note="Cracked")),
    ],
)
def test_other_impilo_actions_hold_no_row_lock_during_the_call(
    monkeypatch, assigned, spare_cuff, method, act
):
    def meanwhile():
        return unless_locked(
            lock_now(Device, assigned.pk),
            lambda: device_set_status(
                device=Device.objects.get(pk=spare_cuff.pk),
                status=DeviceStatus.DEFECTIVE,
                note="Dropped",
            ),
        )

    seen = during(monkeypatch, ImpiloClient, method, meanwhile)
    act(assigned, spare_cuff)
    locked, status_change = seen[0]
    assert locked == {"result": "locked"}
    if method == "replace_device":  # the replacement is claimed too
        assert (status_change["error"].code, status_change["error"].message) == (
            "device_busy",
            "Another change to this device is in progress. Try again in a moment.",
        )
    else:
        assert "result" in status_change
    assert not DeviceOperation.objects.exists()


def test_status_change_holds_no_row_lock_during_the_call(monkeypatch, cuff):
    seen = during(monkeypatch, ImpiloClient, "update_device", lambda: lock_now(Device, cuff.pk))
    device_set_status(device=cuff, status=DeviceStatus.DEFECTIVE, note="Dropped")
    assert seen == [{"result": "locked"}]


def test_smart_meter_actions_hold_no_row_lock_during_the_call(
    monkeypatch, harriet, vendor_accounts
):
    connection_ = smart_meter_connect(patient=harriet, imei=IMEI, device_type="blood_glucose")
    seen = during(
        monkeypatch,
        ValidicClient,
        "disconnect_smart_meter",
        lambda: unless_locked(
            lock_now(SmartMeterConnection, connection_.pk),
            lambda: smart_meter_disconnect_all(patient=harriet),
        ),
    )
    smart_meter_disconnect(connection=connection_)
    locked, everything = seen[0]
    assert locked == {"result": "locked"}
    assert everything["error"].code == "device_busy"
    assert not SmartMeterConnection.objects.filter(deleted_at__isnull=True).exists()


def test_a_second_connect_of_the_same_imei_is_refused_while_the_first_is_in_flight(
    monkeypatch, harriet, org, vendor_accounts
):
    other = PatientFactory(organization=org, mrn="RHV-NEW-9")
    seen = during(
        monkeypatch,
        ValidicClient,
        "connect_smart_meter",
        lambda: elsewhere(
            lambda: smart_meter_connect(patient=other, imei=IMEI, device_type="blood_glucose")
        ),
    )
    smart_meter_connect(patient=harriet, imei=IMEI, device_type="blood_glucose")
    assert seen[0]["error"].code == "imei_in_use"
    assert SmartMeterConnection.objects.get().patient == harriet


# --- crash after the claim, before the call ----------------------------------------------------
def test_an_error_before_the_call_releases_the_claim(monkeypatch, cuff, harriet, sandbox):
    def broken(*args, **kwargs):
        raise RuntimeError("configuration could not be read")

    with monkeypatch.context() as patch:
        patch.setattr(ImpiloClient, "for_organization", broken)
        with pytest.raises(RuntimeError):
            device_assign(device=cuff, patient=harriet)
    assert not DeviceOperation.objects.exists()
    assert sandbox.get("impilo", "devices", cuff.impilo_device_id)["patientId"] is None
    device_assign(device=cuff, patient=harriet)  # nothing in the way
    assert DeviceAssignment.objects.count() == 1


def test_a_process_dying_before_the_call_blocks_the_device_until_its_claim_is_stale(
    monkeypatch, cuff, harriet, alice, sandbox
):
    def dies(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(ImpiloClient, "for_organization", dies)
        with pytest.raises(Crash):
            device_assign(device=cuff, patient=harriet)
    assert DeviceOperation.objects.get().action == "device.assign"
    assert sandbox.get("impilo", "devices", cuff.impilo_device_id)["patientId"] is None
    cuff.refresh_from_db()
    assert (cuff.current_status, cuff.assigned_patient) == (DeviceStatus.AVAILABLE_AT_SITE, None)

    with pytest.raises(DeviceRuleError) as caught:
        device_assign(device=cuff, patient=harriet)
    assert caught.value.code == "device_already_assigned"

    stale()
    assignment = device_assign(device=cuff, patient=harriet, by=alice)  # takes the claim over
    assert (assignment.patient, assignment.assigned_by) == (harriet, alice)
    assert DeviceAssignment.objects.count() == 1
    assert AuditEvent.objects.filter(action="device.assign").count() == 1
    assert not DeviceOperation.objects.exists()


# --- crash after the vendor accepted, before the record ----------------------------------------
def test_an_error_after_impilo_accepted_releases_the_claim_and_a_repeat_converges(
    monkeypatch, cuff, harriet, alice, sandbox
):
    def fails(*args, **kwargs):
        raise DatabaseError("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(assignment_services, "_assign_record", fails)
        with pytest.raises(DatabaseError):
            device_assign(device=cuff, patient=harriet, by=alice)
    assert sandbox.get("impilo", "devices", cuff.impilo_device_id)["patientId"] == (
        harriet.impilo_patient_id
    )
    assert not DeviceOperation.objects.exists()
    assert not DeviceAssignment.objects.exists()

    # Impilo refuses the association it already has; the portal reads it back as done.
    device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    assert (cuff.current_status, cuff.assigned_patient) == (DeviceStatus.ASSIGNED, harriet)
    assert DeviceAssignment.objects.filter(ended_at__isnull=True).count() == 1
    assert DeviceStatusChange.objects.filter(device=cuff).count() == 1


@pytest.mark.parametrize("then", ["sync", "staff repeat"])
def test_a_process_dying_after_impilo_accepted_converges_to_impilos_state(
    monkeypatch, cuff, harriet, alice, org, sandbox, then
):
    def dies(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(assignment_services, "_assign_record", dies)
        with pytest.raises(Crash):
            device_assign(device=cuff, patient=harriet, by=alice)
    assert DeviceOperation.objects.exists()

    # While the claim is live the sync leaves the device to the action holding it.
    run = run_sync(org)
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    cuff.refresh_from_db()
    assert cuff.assigned_patient is None

    stale()
    if then == "sync":
        run = run_sync(org)  # clears the dead process's claim, then reads Impilo
        assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    else:
        device_assign(device=cuff, patient=harriet, by=alice)
    cuff.refresh_from_db()
    assert (cuff.current_status, cuff.assigned_patient) == (DeviceStatus.ASSIGNED, harriet)
    assert DeviceAssignment.objects.filter(device=cuff).count() == 1
    assert DeviceAssignment.objects.filter(device=cuff, ended_at__isnull=True).count() == 1
    assert DeviceStatusChange.objects.filter(device=cuff).count() == 1
    assert not DeviceOperation.objects.exists()


@pytest.mark.parametrize("then", ["sync", "staff repeat"])
def test_a_process_dying_after_validic_connected_converges(
    monkeypatch, harriet, org, vendor_accounts, then
):
    def dies(*args, **kwargs):
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(smart_meter_services, "smart_meter_connected", dies)
        with pytest.raises(Crash):
            smart_meter_connect(patient=harriet, imei=IMEI, device_type="blood_glucose")
    assert not SmartMeterConnection.objects.exists()

    stale()
    if then == "sync":
        assert run_sync(org).status == SyncRun.Status.SUCCEEDED
    else:
        smart_meter_connect(patient=harriet, imei=IMEI, device_type="blood_glucose")
    connection_ = SmartMeterConnection.objects.get(imei=IMEI)
    assert (connection_.patient, connection_.imei, connection_.deleted_at) == (harriet, IMEI, None)
    assert DeviceAssignment.objects.filter(device__identifier=IMEI, ended_at=None).count() == 1
    assert not DeviceOperation.objects.exists()


def test_the_sync_leaves_an_action_in_flight_to_record_its_own_answer(
    monkeypatch, cuff, harriet, alice, org
):
    """The periodic sync reads Impilo after Impilo accepted the assignment but before the
    action recorded it: the history keeps the nurse's entry, not a "Synced" one."""
    real = ImpiloClient.associate_device
    runs = []

    def accepted_then_sync(self, *args, **kwargs):
        answer = real(self, *args, **kwargs)
        runs.append(elsewhere(lambda: run_sync(org)))
        return answer

    monkeypatch.setattr(ImpiloClient, "associate_device", accepted_then_sync)
    device_assign(device=cuff, patient=harriet, by=alice)
    assert runs[0]["result"].status == SyncRun.Status.SUCCEEDED
    change = DeviceStatusChange.objects.get(device=cuff)
    assert (change.to_status, change.changed_by, change.note) == (
        DeviceStatus.ASSIGNED,
        alice,
        "Assigned",
    )
    assert DeviceAssignment.objects.get(device=cuff).assigned_by == alice


# --- vendor failures ---------------------------------------------------------------------------
def test_a_vendor_refusal_releases_the_claim(assigned, spare_cuff, faults):
    faults.inject("impilo", FaultMode.ERROR, 1, path_contains="/replace")
    with pytest.raises(DeviceVendorError):
        device_replace(device=assigned, replacement=spare_cuff, note="Cracked")
    assert not DeviceOperation.objects.exists()
    device_replace(device=assigned, replacement=spare_cuff, note="Cracked")


def test_a_claim_outlives_the_slowest_vendor_exchange():
    """Stale means dead: the slowest action (Smart Meter connect: two POSTs without retries,
    two GETs with every retry, each waiting Retry-After's cap) ends before its claim is
    stale, so no live action's claim is ever taken over."""
    one_try = settings.VENDOR_CONNECT_TIMEOUT + settings.VENDOR_READ_TIMEOUT
    a_get = (1 + settings.VENDOR_RETRIES) * one_try + settings.VENDOR_RETRIES * max(
        MAX_RETRY_AFTER_SECONDS, settings.VENDOR_RETRY_BACKOFF * 2**settings.VENDOR_RETRIES
    )
    assert CLAIM_STALE_AFTER.total_seconds() > 2 * one_try + 2 * a_get
