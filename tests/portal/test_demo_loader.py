"""The demo loader fills the portal's mirror the way a real organization's is filled: through
the vendor pulls, reaching the sandbox in process (nothing listens at the base URL)."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from appointments.models import Appointment, AppointmentChange
from devices.models import Device, SmartMeterConnection
from portal.models import Organization, Patient, SyncRun
from portal.sandbox import world
from portal.sandbox.validic_measurements import stream as validic_stream
from readings.models import Alert, Reading

PATIENTS = 8
NOTHING_LISTENS = "http://127.0.0.1:9"  # the discard port: a real HTTP call would fail
PULLS = {"devices.inventory", "impilo.readings", "validic.measurements"}
ROOT = Path(__file__).resolve().parents[2]


def _load():
    call_command(
        "load_demo_data",
        "--patients",
        str(PATIENTS),
        "--base-url",
        NOTHING_LISTENS,
        stdout=StringIO(),
    )
    return Organization.objects.get(slug=world.ORG_SLUG)


def _served_readings(sandbox, org) -> dict[str, set[str]]:
    """Record ids the sandbox serves for the organization's patients, by source."""
    impilo_ids = set(
        Patient.objects.filter(organization=org).values_list("impilo_patient_id", flat=True)
    )
    validic_ids = set(
        Patient.objects.filter(organization=org).values_list("validic_user_id", flat=True)
    )
    return {
        "impilo": {
            str(r["id"])
            for r in sandbox.all("impilo", "readings")
            if r["patient"]["id"] in impilo_ids
        },
        # The stream carries later versions too: a record whose latest version is deleted is
        # not mirrored (issue 15).
        "validic": {
            record_id
            for record_id, r in {r["id"]: r for r in validic_stream(sandbox)}.items()
            if r["user"]["user_id"] in validic_ids and not r["deleted_at"]
        },
    }


def _mirrored_readings(org) -> dict[str, set[str]]:
    rows = Reading.objects.filter(organization=org)
    return {
        source: set(rows.filter(source=source).values_list("source_record_id", flat=True))
        for source in ("impilo", "validic")
    }


@pytest.mark.both_databases
def test_demo_load_fills_the_mirror_through_the_vendor_pulls(db, sandbox):
    org = _load()

    runs = SyncRun.objects.filter(organization=org)
    assert {r.kind for r in runs} == PULLS
    assert all(r.status == SyncRun.Status.SUCCEEDED for r in runs)
    # Devices: every device the customer has at Impilo, assigned as Impilo has them, and the
    # Smart Meters the enrolled patients connected at Validic.
    at_impilo = {
        d["id"]: d["patientId"]
        for d in sandbox.all("impilo", "devices")
        if d["customerId"] == int(world.IMPILO_CUSTOMER_ID)
    }
    mirrored = Device.objects.filter(organization=org, impilo_device_id__isnull=False)
    assert {d.impilo_device_id for d in mirrored} == set(at_impilo)
    enrolled = {p.impilo_patient_id: p.pk for p in Patient.objects.filter(organization=org)}
    for device in mirrored:
        assert device.assigned_patient_id == enrolled.get(at_impilo[device.impilo_device_id])
    connected = {
        d.identifier
        for d in world.demo_devices()
        if d.source == "validic" and d.patient_index < PATIENTS
    }
    assert connected
    assert (
        set(
            SmartMeterConnection.objects.filter(
                patient__organization=org, deleted_at__isnull=True
            ).values_list("imei", flat=True)
        )
        == connected
    )
    devices_run = runs.get(kind="devices.inventory")
    assert devices_run.created == len(at_impilo) + len(connected)
    # Readings: exactly the records the sandbox serves for the enrolled patients, evaluated
    # against the thresholds as they were stored.
    served = _served_readings(sandbox, org)
    assert served["impilo"]
    assert served["validic"]
    assert _mirrored_readings(org) == served
    assert Alert.objects.filter(organization=org).exists()
    # Visits: those the world booked in Solo for the enrolled patients, created by the Solo pull.
    planned = {v["id"] for v in world.seeded_appointment_plan() if v["patient_index"] < PATIENTS}
    visits = Appointment.objects.filter(organization=org)
    assert set(visits.values_list("solo_id", flat=True)) == planned
    assert set(
        AppointmentChange.objects.filter(appointment__in=visits).values_list("source", flat=True)
    ) == {AppointmentChange.Source.SOLO}
    assert all(v.waiting_room is not None for v in visits)


@pytest.mark.both_databases
def test_second_demo_load_pulls_nothing_new(db, sandbox):
    org = _load()
    counts = (Device.objects.count(), Reading.objects.count(), Appointment.objects.count())
    first = set(SyncRun.objects.values_list("pk", flat=True))

    _load()

    again = SyncRun.objects.filter(organization=org).exclude(pk__in=first)
    assert {r.kind for r in again} == PULLS
    assert [r.created for r in again] == [0, 0, 0]
    assert (Device.objects.count(), Reading.objects.count(), Appointment.objects.count()) == counts


def test_demo_load_refuses_without_the_sandbox(db, settings):
    """The mirror is filled from the sandbox: without it there is nothing to pull from."""
    settings.PORTAL_SANDBOX = False
    with pytest.raises(CommandError, match="PORTAL_SANDBOX"):
        _load()
    assert not Organization.objects.exists()


def test_the_sandbox_seeds_from_its_world_alone():
    """Seeding the sandbox loads no production app module beyond what Django itself loads (the
    apps' models): the seed data is the sandbox's own world."""
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "before = set(sys.modules)\n"
        "from portal.sandbox.state import STORE\n"
        "STORE.reset()\n"
        "apps = {'devices', 'readings', 'appointments'}\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in apps))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_SANDBOX": "1"},
    )
    assert found.stdout.strip().splitlines()[-1] == "[]"
