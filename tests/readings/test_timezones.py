"""Time: instants in UTC, offsets kept as sent, staff see the patient's local time and which
offset was used (DESIGN.md "Data rules"; seed 001 Device Timezones)."""

from datetime import UTC, date, datetime

import pytest

from readings.charts import local_text
from tests.factories import ReadingFactory

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

HR = "/api/v1/readings/heart-rate"


def test_2330_local_in_utc_minus_5_lands_on_that_local_day(api, cuff, patient):
    # 23:30 in New York (EST, UTC-5) on Nov 20 is 04:30 UTC on Nov 21.
    response = api.post(
        HR,
        {"readingTimestamp": "2026-11-21T04:30:00Z", "deviceId": 80011, "heartRate": 70},
        format="json",
    )
    assert response.json()["patientTimeZoneOffset"] == -18000
    reading = patient.readings.get()
    assert reading.measured_at == datetime(2026, 11, 21, 4, 30, tzinfo=UTC)
    assert reading.local_day == date(2026, 11, 20)
    assert local_text(reading) == "Nov 20, 2026 11:30 PM (UTC\u221205:00)"


def test_dst_end_day_derives_each_readings_own_offset(api, cuff, patient):
    # 2026-11-01: US DST ends at 02:00 EDT. 05:30Z is 01:30 EDT; 06:30Z is 01:30 EST.
    before = api.post(
        HR,
        {"readingTimestamp": "2026-11-01T05:30:00Z", "deviceId": 80011, "heartRate": 70},
        format="json",
    ).json()
    after = api.post(
        HR,
        {"readingTimestamp": "2026-11-01T06:30:00Z", "deviceId": 80011, "heartRate": 71},
        format="json",
    ).json()
    assert (before["patientTimeZoneOffset"], after["patientTimeZoneOffset"]) == (-14400, -18000)
    first, second = patient.readings.order_by("measured_at")
    assert local_text(first) == "Nov 1, 2026 1:30 AM (UTC\u221204:00)"
    assert local_text(second) == "Nov 1, 2026 1:30 AM (UTC\u221205:00)"
    assert first.local_day == second.local_day == date(2026, 11, 1)


def test_device_offset_differing_from_the_patients_is_kept_but_not_used_for_the_day(
    api, cuff, patient
):
    # A cuff still on Denver time (UTC-7) for a New York patient; 04:30Z is Nov 20 in Denver
    # too, but 06:30Z is Nov 20 in Denver and Nov 21 (01:30) in New York.
    api.post(
        HR,
        {
            "readingTimestamp": "2026-11-21T06:30:00Z",
            "deviceId": 80011,
            "deviceTimeZoneOffset": -25200,
            "heartRate": 70,
        },
        format="json",
    )
    reading = patient.readings.get()
    assert (reading.device_tz_offset, reading.patient_tz_offset) == (-25200, -18000)
    assert reading.local_day == date(2026, 11, 21)
    assert reading.offset_used == (-18000, "patient offset sent with the reading")


def test_a_reading_with_no_offsets_uses_the_patients_time_zone(patient):
    patient.time_zone = "America/Chicago"
    patient.save()
    reading = ReadingFactory(
        patient=patient,
        measured_at=datetime(2026, 7, 4, 3, 0, tzinfo=UTC),
        device_tz_offset=None,
        patient_tz_offset=None,
    )
    assert reading.offset_used == (-18000, "patient time zone when the reading was stored")  # CDT
    assert reading.local_day == date(2026, 7, 3)
    assert local_text(reading) == "Jul 3, 2026 10:00 PM (UTC\u221205:00)"
