"""readings_ingest hands back the readings it created without reading them back: what it
returns must be exactly what the database holds."""

from datetime import UTC, datetime

import pytest

from readings.models import Reading
from readings.services.ingest import readings_ingest
from readings.services.sources import heart_rate_inputs

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

FIELDS = [f.attname for f in Reading._meta.concrete_fields]


def test_created_readings_equal_the_stored_rows_field_by_field(org, patient, oximeter):
    patient.impilo_patient_id = 4242
    patient.save()
    data = {
        "patientId": 4242,
        "heartRate": 72,
        "readingTimestamp": datetime(2026, 11, 20, 8, 30, 15, 123456, tzinfo=UTC),
        "deviceTimeZoneOffset": -18000,
    }
    items = heart_rate_inputs(organization=org, data=data)
    result = readings_ingest(organization=org, items=items, action="reading.ingest")
    (made,) = result.created
    stored = Reading.objects.get(pk=made.pk)
    assert {f: getattr(made, f) for f in FIELDS} == {f: getattr(stored, f) for f in FIELDS}
    assert made.patient == patient
    again = readings_ingest(organization=org, items=items, action="reading.ingest")
    assert again.created == []
    assert [r.pk for r in again.existing] == [made.pk]
