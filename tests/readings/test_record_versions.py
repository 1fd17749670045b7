"""Every vendor record exactly once, in its latest version (issue 15): the same table of
version sequences through the push (one request per version, and one batch holding them all)
and through the Validic pull (the sandbox's stream), with the same outcome on PostgreSQL and
SQLite. Units: a value without a unit is stored only where the vendor's document fixes it."""

import copy
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest

from portal.sandbox import world as demo
from portal.sandbox.validic_measurements import later_version_key, stream
from portal.sandbox.world_readings import validic_later_versions
from portal.sync import sync_run_start
from readings.models import (
    Alert,
    AlertReading,
    Reading,
    VendorRecord,
    VendorRecordVersion,
)
from readings.sync import VALIDIC_MEASUREMENTS, validic_measurements_sync
from readings.units import known_metric
from tests.factories import demo_patient_mirrored
from tests.readings.test_ingest_measurements import SAMPLE

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]

URL = "/api/v1/measurements"
RECORD = SAMPLE["id"]
# Two days ago on the hour: inside the readings pages' 7-day range, never in the future.
TAKEN = datetime.now(tz=UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)


def version(name: str) -> dict:
    """Seed 004's sample as version `name` of one record: c1 (SpO2 99), c2 (97), c3 (95), c4
    (96, pulse taken by hand: origin `manual`), or d… (the record deleted, checksum d…)."""
    record = copy.deepcopy(SAMPLE)
    record["checksum"] = name
    record["start_time"] = TAKEN.isoformat().replace("+00:00", "Z")
    spo2 = {"c1": 99.0, "c2": 97.0, "c3": 95.0, "c4": 96.0}.get(name, 99.0)
    record["metrics"][0]["value"] = spo2
    if name == "c4":
        record["metrics"][1]["origin"] = "manual"
    if name.startswith("d"):
        record["deleted_at"] = (TAKEN + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    return record


# (versions in arrival order, each arrival's status, the SpO2 stored at the end or None when
# the record is deleted, the earlier versions kept as history: (checksum, change))
SEQUENCES = {
    "a replay changes nothing": (["c1", "c1"], ["created", "duplicate"], 99.0, []),
    "a late replay of an old checksum changes nothing": (
        ["c1", "c2", "c1"],
        ["created", "updated", "duplicate"],
        97.0,
        [("c1", "corrected")],
    ),
    "a correction keeps the history": (
        ["c1", "c2", "c3"],
        ["created", "updated", "updated"],
        95.0,
        [("c1", "corrected"), ("c2", "corrected")],
    ),
    "an old version replayed after the deletion stays deleted": (
        ["c1", "d2", "c1"],
        ["created", "deleted", "duplicate"],
        None,
        [("c1", "deleted")],
    ),
    "a deleted record replayed stays deleted": (
        ["c1", "c2", "d3", "d3", "c2", "c1"],
        ["created", "updated", "deleted", "duplicate", "duplicate", "duplicate"],
        None,
        [("c1", "corrected"), ("c2", "deleted")],
    ),
    "a version never seen, without deleted_at, brings it back": (
        ["c1", "d2", "c3"],
        ["created", "deleted", "updated"],
        95.0,
        [("c1", "deleted")],
    ),
    "arriving deleted stores nothing": (["d1", "d1"], ["deleted", "duplicate"], None, []),
    "the origin of each metric is kept": (
        ["c1", "c4"],
        ["created", "updated"],
        96.0,
        [("c1", "corrected")],
    ),
}


def push_one_by_one(api, org, sandbox, names):
    statuses = []
    for name in names:
        response = api.post(URL, version(name), format="json")
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.CREATED), response.content
        statuses.append(response.json()["results"][0]["status"])
    return statuses


def push_in_one_batch(api, org, sandbox, names):
    response = api.post(URL, [version(n) for n in names], format="json")
    assert response.status_code == HTTPStatus.OK, response.content
    return [r["status"] for r in response.json()["results"]]


def pull_from_the_stream(api, org, sandbox, names):
    """Validic's stream carries the versions in this order; the pull meets them page by page
    (two a page) and, for the steps it meets in two runs, across runs."""
    stream = sandbox.collection("validic", "measurements")
    stream.clear()
    for n, name in enumerate(names):
        written = (TAKEN + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        sandbox.put("validic", "measurements", later_version_key(written, RECORD, n), version(name))
        if n == len(names) // 2:  # half now, the rest in the next 5-minute run
            run = validic_measurements_sync(
                run=sync_run_start(organization=org, kind=VALIDIC_MEASUREMENTS), page_size=2
            )
            assert run.errors == []
    run = validic_measurements_sync(
        run=sync_run_start(organization=org, kind=VALIDIC_MEASUREMENTS), page_size=2
    )
    assert run.errors == []
    return None  # the pull answers no one: its outcome is the state it leaves


PATHS = {
    "push": push_one_by_one,
    "push batch": push_in_one_batch,
    "pull": pull_from_the_stream,
}


def stored_state():
    readings = {
        r.metric: (r.value, r.origin, r.source_checksum)
        for r in Reading.objects.filter(source_record_id=RECORD)
    }
    history = [
        (v.checksum, v.change)
        for v in VendorRecordVersion.objects.filter(record__source_record_id=RECORD).order_by("pk")
    ]
    return readings, history


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", SEQUENCES)
def test_every_record_once_in_its_latest_version(
    api, org, oximeter, sandbox, vendor_accounts, path, case
):
    names, statuses, spo2, history = SEQUENCES[case]
    answered = PATHS[path](api, org, sandbox, names)
    if answered is not None:
        assert answered == statuses
    readings, kept = stored_state()
    if spo2 is None:
        assert readings == {}
    else:
        latest = {99.0: "c1", 97.0: "c2", 95.0: "c3", 96.0: "c4"}[spo2]  # the version in force
        pulse_origin = "manual" if latest == "c4" else "device"
        assert readings == {
            "spo2": (spo2, "device", latest),
            "heart_rate": (82.0, pulse_origin, latest),
        }
    assert kept == history


@pytest.mark.parametrize("case", SEQUENCES)
def test_pull_and_push_leave_the_same_state(api, org, oximeter, sandbox, vendor_accounts, case):
    names = SEQUENCES[case][0]
    push_one_by_one(api, org, sandbox, names)
    pushed = stored_state()
    Reading.objects.all().delete()
    VendorRecord.objects.all().delete()
    pull_from_the_stream(api, org, sandbox, names)
    assert stored_state() == pushed


def test_a_correction_keeps_the_reading_its_alert_and_the_earlier_values(api, org, oximeter):
    low = version("c1")
    low["metrics"][0]["value"] = 85.0  # below the critical 88 % default: an alert
    first = api.post(URL, low, format="json").json()["results"][0]["readings"]
    alert = Alert.objects.get(metric="spo2")
    corrected = api.post(URL, version("c2"), format="json")
    assert corrected.status_code == HTTPStatus.CREATED
    assert corrected.json()["results"][0]["readings"] == first  # the same readings, new values
    spo2 = Reading.objects.get(metric="spo2")
    assert spo2.value == 97.0
    assert AlertReading.objects.get(alert=alert).reading == spo2
    (kept,) = VendorRecordVersion.objects.all()
    assert kept.entry_for("spo2")["value"] == 85.0
    assert (kept.checksum, kept.replaced_by_checksum) == ("c1", "c2")
    # Deleted: the readings go, the alert stays (its triage is the care team's), values kept.
    gone = api.post(URL, version("d3"), format="json")
    assert gone.json()["results"][0]["status"] == "deleted"
    assert not Reading.objects.exists()
    assert Alert.objects.filter(pk=alert.pk).exists()
    assert VendorRecordVersion.objects.count() == 2


def test_staff_see_the_history_on_the_reading(client, alice, api, patient, oximeter):
    for name in ("c1", "c2"):
        api.post(URL, version(name), format="json")
    client.force_login(alice)
    page = client.get(f"/readings/patients/{patient.pk}/table/?metric=spo2&range=7d")
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "history (1)" in text
    assert "99 % in version c1: corrected by the vendor" in text
    assert "(new version c2)" in text


def test_the_api_read_of_a_reading_carries_its_history(api, patient, oximeter):
    for name in ("c1", "c2"):
        api.post(URL, version(name), format="json")
    body = api.get(f"/api/v1/patients/{patient.pk}/readings?metric=spo2").json()
    (reading,) = body["results"]
    assert reading["value"] == 97.0
    assert reading["origin"] == "device"
    (earlier,) = reading["history"]
    assert {k: earlier[k] for k in ("change", "checksum", "replaced_by_checksum", "value")} == {
        "change": "corrected",
        "checksum": "c1",
        "replaced_by_checksum": "c2",
        "value": 99.0,
    }
    assert earlier["unit"] == "%"


def test_the_sandbox_stream_carries_corrections_and_deletions_the_pull_applies(
    org, sandbox, vendor_accounts
):
    for person in demo.demo_patients():
        demo_patient_mirrored(org, person)
    run = validic_measurements_sync(
        run=sync_run_start(organization=org, kind=VALIDIC_MEASUREMENTS), page_size=200
    )
    assert run.errors == []
    later = validic_later_versions()
    corrected = {r["id"] for _, r in later if not r["deleted_at"]}
    deleted = {r["id"] for _, r in later if r["deleted_at"]}
    assert corrected
    assert deleted
    latest = {r["id"]: r for r in stream(sandbox)}  # the last version of each record wins
    stored = Reading.objects.filter(source="validic")
    assert set(stored.values_list("source_record_id", flat=True)) == {
        record_id for record_id, r in latest.items() if not r["deleted_at"]
    }
    for record_id in corrected:
        first = latest[record_id]["metrics"][0]
        reading = stored.get(source_record_id=record_id, metric=known_metric(first["type"]))
        assert (reading.value, reading.source_checksum) == (
            first["value"],
            latest[record_id]["checksum"],
        )
    assert (
        set(VendorRecordVersion.objects.values_list("record__source_record_id", flat=True))
        == corrected | deleted
    )
    assert run.updated == sum(len(latest[i]["metrics"]) for i in corrected) + sum(
        len(latest[i]["metrics"]) for i in deleted
    )


# --- units ----------------------------------------------------------------------------------
def validic_metric(kind, value, unit=None):
    record = version("c1")
    record["metrics"] = [{"type": kind, "origin": "device", "value": value}]
    if unit is not None:
        record["metrics"][0]["unit"] = unit
    return record


@pytest.mark.parametrize(
    ("metric_type", "value", "stored"),
    [
        ("spo2", 97, ("spo2", 97.0, "%")),  # seed 004: spo2 is in percent
        ("pulse", 82, ("heart_rate", 82.0, "/min")),  # seed 004: pulse is in bpm
        ("blood_glucose", 12, None),  # mg/dL or mmol/L? refused, never guessed
        ("weight", 82, None),
        ("body_temperature", 38, None),
    ],
)
def test_a_validic_value_without_a_unit(api, oximeter, metric_type, value, stored):
    response = api.post(URL, validic_metric(metric_type, value), format="json")
    if stored is None:
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
        body = response.json()
        assert body["error"] == "unit_required"
        assert list(body["fields"]) == ["metrics[0].unit"]
        assert not Reading.objects.exists()
    else:
        assert response.status_code == HTTPStatus.CREATED
        reading = Reading.objects.get()
        assert (reading.metric, reading.value, reading.unit) == stored


def test_a_pulled_validic_value_without_a_unit_is_refused_the_same_way(
    org, oximeter, sandbox, vendor_accounts
):
    stream = sandbox.collection("validic", "measurements")
    stream.clear()
    sandbox.put("validic", "measurements", RECORD, validic_metric("blood_glucose", 12))
    run = validic_measurements_sync(run=sync_run_start(organization=org, kind=VALIDIC_MEASUREMENTS))
    assert not Reading.objects.exists()
    (error,) = run.errors
    assert RECORD in error
    assert "unit is required" in error


@pytest.mark.parametrize(
    ("source", "unit", "status", "stored"),
    [
        ("api", None, HTTPStatus.UNPROCESSABLE_ENTITY, None),  # "82" is not 82 lb
        ("api", "", HTTPStatus.UNPROCESSABLE_ENTITY, None),
        # entered by the patient at patient-graph, not on the portal's staff form
        ("manual", None, HTTPStatus.UNPROCESSABLE_ENTITY, None),
        ("api", "kg", HTTPStatus.CREATED, 180.78),
        ("upload", "lb", HTTPStatus.CREATED, 82.0),
    ],
)
def test_a_patient_graph_value_without_a_unit_is_refused_naming_the_field(
    api, patient, cuff, source, unit, status, stored
):
    body = {"metric_key": "weight", "value_numeric": "82", "source": source}
    body["recorded_at"] = TAKEN.isoformat().replace("+00:00", "Z")
    if unit is not None:
        body["unit"] = unit
    response = api.post(f"/api/v1/patients/{patient.pk}/metrics", body, format="json")
    assert response.status_code == status, response.content
    if stored is None:
        assert response.json()["error"] == "unit_required"
        assert response.json()["message"].startswith("unit: a unit is required for weight")
        assert not Reading.objects.exists()
    else:
        assert Reading.objects.get().value == stored
