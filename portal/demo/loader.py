"""Load the demo: the organization's own setup, then its mirror filled by the vendor pulls over
the in-process transport (the sandbox lives in the server's memory and the server is not
running yet), then the care team's local work. Safe to run twice: setup is update_or_create,
the pulls resume from their cursors and change nothing already mirrored."""

from __future__ import annotations

import random

from portal.demo import pulls
from portal.demo.accounts import configure_sandbox_accounts, solo_linking_secret_set
from portal.demo.care import care_work_load, thresholds_load
from portal.demo.organization import device_catalogue_load, organization_load
from portal.demo.visits import visits_load
from portal.inprocess import in_process_transport
from portal.models import Organization, Role

SEED = 20261125


def demo_load(*, patient_count: int, base_url: str, stdout) -> tuple[Organization, list]:
    """Vendor accounts point at `base_url`/sandbox/, where the running server serves the sandbox
    later; while loading, calls under `base_url` are answered by this process's sandbox, which
    seeds itself from the same world, so both hold the same data."""
    organization, patients, users = organization_load(patient_count=patient_count)
    configure_sandbox_accounts(organization, base_url)
    solo_linking_secret_set(organization)
    device_catalogue_load()
    thresholds_load(organization=organization)
    with in_process_transport(base_url):
        devices = pulls.devices_pull(organization)
        stdout.write(
            f"Devices: {devices.processed} from Impilo and Validic "
            f"({devices.created} new, {devices.updated} changed, {devices.unchanged} unchanged)."
        )
        for run in pulls.readings_pull(organization):
            stdout.write(
                f"Readings ({run.kind}): {run.created} new, {run.unchanged} already mirrored."
            )
        rooms, visits = visits_load(organization)
        stdout.write(f"Solo: {rooms} waiting rooms, {visits} upcoming visits mirrored.")
    summary = care_work_load(
        organization=organization,
        patients=patients,
        nurse=users[Role.NURSE],
        rng=random.Random(SEED),
    )
    stdout.write(summary)
    return organization, patients
