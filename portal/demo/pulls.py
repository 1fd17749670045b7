"""Every call the demo loader makes into the apps' vendor pulls, one small function each, so a
rename in an app changes this file only. Each pull reaches the sandbox through the organization's
vendor accounts (in process while the loader runs) and is the same code a periodic sync runs."""

from appointments.sync import appointment_sync_one, waiting_rooms_sync
from devices.sync import SYNC_KIND as DEVICES
from devices.sync import devices_sync
from portal.models import SyncRun
from portal.sync import sync_run_start
from readings.sync import (
    IMPILO_READINGS,
    VALIDIC_MEASUREMENTS,
    impilo_readings_sync,
    validic_measurements_sync,
)


class DemoPullFailed(Exception):
    """A pull ended failed: the demo would be missing data, so the load stops and says why."""


def _succeeded(run: SyncRun) -> SyncRun:
    if run.status != SyncRun.Status.SUCCEEDED:
        raise DemoPullFailed(f"{run.kind}: {'; '.join(run.errors[-3:]) or run.status}")
    return run


def devices_pull(organization) -> SyncRun:
    """Impilo's inventory and Validic's Smart Meter connections."""
    run = sync_run_start(organization=organization, kind=DEVICES, join_running=True)
    return _succeeded(devices_sync(run=run))


def readings_pull(organization) -> list[SyncRun]:
    """Impilo readings, then Validic measurements, each from its last saved cursor."""
    return [
        _succeeded(
            impilo_readings_sync(
                run=sync_run_start(organization=organization, kind=IMPILO_READINGS)
            )
        ),
        _succeeded(
            validic_measurements_sync(
                run=sync_run_start(organization=organization, kind=VALIDIC_MEASUREMENTS)
            )
        ),
    ]


def waiting_rooms_pull(organization) -> list:
    return waiting_rooms_sync(organization=organization)


def visit_pull(organization, solo_appointment_id: int):
    """One visit, as an `appointment:scheduled` webhook has it fetched; None when the visit is
    for a patient the organization has not enrolled."""
    return appointment_sync_one(organization=organization, solo_appointment_id=solo_appointment_id)
