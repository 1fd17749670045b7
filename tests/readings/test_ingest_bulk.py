"""readings.bulk: Validic records in volume through COPY + INSERT ... ON CONFLICT DO NOTHING —
the same rules as one record (seed 004), counts back, one audit event per chunk, thresholds
evaluated in the same transaction."""

import copy
from datetime import UTC, datetime, timedelta

import pytest

from portal.models import AuditEvent
from readings.bulk import validic_records_bulk_ingest
from readings.models import Alert, Reading
from readings.services.ingest import IngestError
from tests.readings.test_ingest_measurements import SAMPLE

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite


def record(n=0, **changes):
    """Seed 004's sample, made the n-th record of a stream (own id, one minute apart)."""
    out = copy.deepcopy(SAMPLE)
    out["id"] = f"{SAMPLE['id']}-{n}"
    start = datetime(2023, 10, 10, 15, 58, 56, tzinfo=UTC) + timedelta(minutes=n)
    out["start_time"] = start.isoformat().replace("+00:00", "Z")
    out.update(changes)
    return out


@pytest.fixture
def stream(oximeter):
    return [record(n) for n in range(30)]


def test_a_stream_stores_two_readings_per_record_with_the_sample_values(org, patient, stream):
    result = validic_records_bulk_ingest(organization=org, records=stream, chunk_records=7)
    assert (result.staged, result.created, result.duplicates, result.errors) == (60, 60, 0, [])
    first = Reading.objects.filter(source_record_id=stream[0]["id"])
    assert {(r.metric, r.value, r.unit, r.loinc) for r in first} == {
        ("spo2", 99.0, "%", "59408-5"),
        ("heart_rate", 82.0, "/min", "8867-4"),
    }
    spo2 = first.get(metric="spo2")
    assert spo2.patient == patient
    assert spo2.device.identifier == "111111111111111"
    assert spo2.device_tz_offset == -14400
    assert spo2.measured_at == datetime(2023, 10, 10, 15, 58, 56, tzinfo=UTC)
    assert spo2.measurement_group == f"validic:{stream[0]['id']}"
    assert spo2.source_checksum == SAMPLE["checksum"]
    # 30 records in chunks of 7: five transactions, five audit events, ids and counts only.
    events = AuditEvent.objects.filter(action="reading.bulk_ingest")
    assert events.count() == 5
    assert sum(e.detail["created"] for e in events) == 60
    assert all(e.detail["patients"] == [patient.pk] for e in events)


def test_a_replayed_stream_inserts_nothing(org, stream):
    validic_records_bulk_ingest(organization=org, records=stream)
    again = validic_records_bulk_ingest(organization=org, records=stream)
    assert (again.created, again.duplicates) == (0, 60)
    assert Reading.objects.count() == 60


def test_a_bad_record_is_reported_and_the_others_are_stored(org, stream):
    stream[3]["metrics"][0]["value"] = 140.0  # SpO2 above 100 %
    stream[5]["user"] = {"user_id": "nobody", "uid": "nobody"}
    stream[8]["metrics"][1]["unit"] = "furlongs"
    result = validic_records_bulk_ingest(organization=org, records=stream)
    refused = {record_id: exc.code for record_id, exc in result.errors}
    assert refused == {
        stream[3]["id"]: "out_of_range",
        stream[5]["id"]: "unknown_patient",
        stream[8]["id"]: "unsupported_unit",
    }
    assert all(isinstance(exc, IngestError) for _, exc in result.errors)
    assert result.created == Reading.objects.count() == 54
    # All-or-nothing per record: the good pulse of record 3 is not stored without its SpO2.
    assert not Reading.objects.filter(source_record_id=stream[3]["id"]).exists()


def test_a_changed_checksum_replaces_the_record_and_deleted_at_removes_it(org, stream):
    validic_records_bulk_ingest(organization=org, records=stream)
    ids_before = set(Reading.objects.filter(source_record_id=stream[0]["id"]).values_list("pk"))
    corrected = record(0, checksum="corrected")
    corrected["metrics"][0]["value"] = 97.0
    gone = record(1, deleted_at="2023-10-10T17:49:21Z")
    result = validic_records_bulk_ingest(organization=org, records=[corrected, gone])
    # Issue 15: a correction replaces the values in place (the reading ids stay).
    assert (result.created, result.replaced, result.deleted) == (0, 2, 2)
    rows = Reading.objects.filter(source_record_id=corrected["id"])
    assert set(rows.values_list("pk")) == ids_before
    assert {(r.metric, r.value, r.source_checksum) for r in rows} == {
        ("spo2", 97.0, "corrected"),
        ("heart_rate", 82.0, "corrected"),
    }
    assert not Reading.objects.filter(source_record_id=gone["id"]).exists()
    assert Reading.objects.count() == 58


def test_a_decommissioned_or_unassigned_device_is_refused_like_one_record(org, stream, oximeter):
    oximeter.assigned_patient = None
    oximeter.save()
    result = validic_records_bulk_ingest(organization=org, records=stream[:2])
    assert [exc.code for _, exc in result.errors] == ["device_not_assigned"] * 2
    assert Reading.objects.count() == 0


def test_thresholds_are_evaluated_in_the_ingestion_transaction(org, patient, stream):
    stream[4]["metrics"][0]["value"] = 85.0  # SpO2 below the critical 88 % default
    validic_records_bulk_ingest(organization=org, records=stream)
    alert = Alert.objects.get(patient=patient)
    assert alert.metric == "spo2"
    assert alert.severity == "critical"


def test_another_organizations_patient_is_unknown(other_org, stream):
    result = validic_records_bulk_ingest(organization=other_org, records=stream[:3])
    assert {exc.code for _, exc in result.errors} == {"unknown_patient"}
    assert Reading.objects.count() == 0


def test_lookups_are_a_constant_number_of_queries(org, oximeter, django_assert_max_num_queries):
    few = [record(n) for n in range(3)]
    many = [record(100 + n) for n in range(300)]
    validic_records_bulk_ingest(organization=org, records=few)  # thresholds made once
    with django_assert_max_num_queries(40) as small:
        validic_records_bulk_ingest(organization=org, records=[record(50 + n) for n in range(3)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        validic_records_bulk_ingest(organization=org, records=many)
    assert Reading.objects.count() == 612
