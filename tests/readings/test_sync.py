"""Celery pulls of Impilo readings and Validic measurements: cursor-based, idempotent,
resumable after a crash, with SyncRun progress."""

import pytest

from portal.http import VendorError
from portal.models import SyncRun
from portal.sandbox import world as demo
from portal.sandbox.state import STORE
from portal.sync import sync_run_start
from readings import tasks
from readings.clients import ImpiloReadingsClient
from readings.models import Reading
from readings.sync import (
    IMPILO_READINGS,
    VALIDIC_MEASUREMENTS,
    impilo_readings_sync,
    validic_measurements_sync,
)
from tests.factories import demo_patient_mirrored


@pytest.fixture
def demo_cast(org):
    return [demo_patient_mirrored(org, p) for p in demo.demo_patients()]


def impilo_readings():
    # What the sandbox serves (seeded at reset), not a fresh generation an hour later.
    return STORE.all("impilo", "readings")


def validic_records():
    return STORE.all("validic", "measurements")


def impilo_pull(org, **kwargs):
    """What the task does: start a run (from the last saved cursor), then pull into it."""
    return impilo_readings_sync(
        run=sync_run_start(organization=org, kind=IMPILO_READINGS), **kwargs
    )


def validic_pull(org, **kwargs):
    return validic_measurements_sync(
        run=sync_run_start(organization=org, kind=VALIDIC_MEASUREMENTS), **kwargs
    )


def expected_impilo_rows():
    return sum(3 if r.get("systolic") is not None else 1 for r in impilo_readings())


def test_impilo_pull_stores_the_month_once_and_a_second_run_adds_nothing(
    org, demo_cast, vendor_accounts
):
    tasks.impilo_readings_pull.delay(org.pk)
    run = SyncRun.objects.get(kind="impilo.readings")
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.errors == []
    assert run.processed == run.total == len(impilo_readings())
    assert Reading.objects.count() == run.created == expected_impilo_rows()
    cuff_reading = Reading.objects.filter(metric="systolic").first()
    assert Reading.objects.filter(measurement_group=cuff_reading.measurement_group).count() == 3
    again = impilo_pull(org)
    assert (again.processed, again.created) == (0, 0)
    assert Reading.objects.count() == expected_impilo_rows()


def test_a_crashed_pull_resumes_from_its_cursor(org, demo_cast, vendor_accounts, monkeypatch):
    real = ImpiloReadingsClient.list_readings
    calls = {"n": 0}

    def flaky(self, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise VendorError("Impilo", "timed out waiting for an answer")
        return real(self, **kwargs)

    monkeypatch.setattr(ImpiloReadingsClient, "list_readings", flaky)
    with pytest.raises(VendorError):
        impilo_pull(org, page_size=400)
    failed = SyncRun.objects.get()
    assert failed.status == SyncRun.Status.FAILED
    assert failed.processed == 800
    assert failed.cursor
    stored = Reading.objects.count()
    assert 0 < stored < expected_impilo_rows()

    resumed = impilo_pull(org, page_size=400)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert resumed.processed == len(impilo_readings()) - 800
    assert Reading.objects.count() == expected_impilo_rows()


def test_validic_pull_converts_units_and_keeps_device_offsets(org, demo_cast, vendor_accounts):
    run = validic_pull(org, page_size=200)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.processed == len(validic_records())
    spo2 = Reading.objects.filter(metric="spo2").first()
    assert spo2.unit == "%"
    assert spo2.device_tz_offset in (-18000, -14400, -21600, -25200, -28800, -36000)
    assert Reading.objects.filter(metric="glucose", unit="mg/dL").exists()
    assert validic_pull(org).created == 0


def test_vendor_outage_fails_the_run_with_a_staff_message(org, demo_cast, vendor_accounts, faults):
    faults.inject("impilo", "error", count=10)
    with pytest.raises(VendorError):
        impilo_pull(org)
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert "did not answer" in run.errors[0]
    assert not Reading.objects.exists()


@pytest.mark.worker
def test_a_worker_killed_mid_pull_leaves_a_cursor_the_next_run_resumes_from(
    celery_worker_process, org, demo_cast, vendor_accounts, faults
):
    from tests.conftest import wait_for

    faults.inject("impilo", "slow", count=10, delay=1.2)  # each page takes 1.2 s to arrive
    tasks.impilo_readings_pull.delay(org.pk)
    wait_for(
        lambda: SyncRun.objects.filter(kind="impilo.readings", processed__gte=500).exists(),
        timeout=90,  # a loaded 2-core machine can take a while to start the pull
        message="the first page to be stored",
    )
    celery_worker_process.kill()  # SIGKILL while the next page is on its way
    killed = SyncRun.objects.get()
    assert killed.status == SyncRun.Status.RUNNING
    assert killed.cursor
    assert killed.processed < len(impilo_readings())
    faults.clear()

    resumed = impilo_pull(org)
    assert resumed.status == SyncRun.Status.SUCCEEDED
    assert resumed.processed == len(impilo_readings()) - killed.processed
    assert Reading.objects.count() == expected_impilo_rows()
