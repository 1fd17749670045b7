"""Table-driven tests for the device-day rules of readings/billing.py: a reading's local day and
offset, the device's patient at an instant, what counts as transmitted, and the period 99453
is billed in."""

import datetime as dt
import zoneinfo

import pytest

from readings.billing import assigned_patient_at, reading_local_day, setup_period, transmitted

pytestmark = pytest.mark.both_databases

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
START = dt.date(2026, 10, 1)  # periods: Oct 1–30, Oct 31–Nov 29, Nov 30–Dec 29


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("instant", "offset", "expected"),
    [
        # 23:30 EST (UTC−5), no offset sent: the local day, not UTC's
        (utc(2026, 11, 21, 4, 30), None, (dt.date(2026, 11, 20), -18000)),
        (utc(2026, 11, 21, 4, 30), 3600, (dt.date(2026, 11, 21), 3600)),  # the offset sent wins
        # 8 March 2026, DST begins: 00:30 EST and 23:30 EDT are the same day
        (utc(2026, 3, 8, 5, 30), None, (dt.date(2026, 3, 8), -18000)),
        (utc(2026, 3, 9, 3, 30), None, (dt.date(2026, 3, 8), -14400)),
        # 1 November 2026, DST ends: 00:30 EDT and 23:30 EST are the same day
        (utc(2026, 11, 1, 4, 30), None, (dt.date(2026, 11, 1), -14400)),
        (utc(2026, 11, 2, 4, 30), None, (dt.date(2026, 11, 1), -18000)),
    ],
)
def test_a_readings_local_day_and_offset(instant, offset, expected):
    assert reading_local_day(instant, NEW_YORK, offset) == expected


A, B = 1, 2
HISTORY = [  # the device was A's from Sep 1 to Nov 5 noon, then (from Nov 10) B's
    (utc(2026, 9, 1), utc(2026, 11, 5, 12), A),
    (utc(2026, 11, 10), None, B),
]


@pytest.mark.parametrize(
    ("history", "instant", "current", "expected"),
    [
        (HISTORY, utc(2026, 10, 1), B, A),
        (HISTORY, utc(2026, 11, 5, 11, 59), B, A),
        (HISTORY, utc(2026, 11, 5, 12), B, None),  # ended: nobody's
        (HISTORY, utc(2026, 11, 8), B, None),
        (HISTORY, utc(2026, 11, 10), B, B),
        (HISTORY, utc(2026, 8, 1), B, A),  # before any record: the first assignment's
        ([], utc(2026, 8, 1), B, B),  # no history kept: the device's current patient
        ([], utc(2026, 8, 1), None, None),
    ],
)
def test_the_devices_patient_at_an_instant(history, instant, current, expected):
    assert assigned_patient_at(history, instant, current) == expected


@pytest.mark.parametrize(
    ("manual", "device_patient", "source", "origin", "expected"),
    [
        (False, A, "impilo", "", True),
        (True, A, "impilo", "", False),  # typed in
        (False, None, "impilo", "", False),  # posted with only a patientId
        (False, None, "api", "", False),  # patient-graph without a device
        (False, None, "upload", "", False),
        (False, B, "impilo", "", False),  # the device was someone else's then
        (False, A, "validic", "device", True),
        (False, A, "validic", "manual", False),
        (False, A, "validic", "", False),  # Validic without an origin: not known to be device
    ],
)
def test_what_a_device_transmitted(manual, device_patient, source, origin, expected):
    assert (
        transmitted(
            manual=manual,
            patient_id=A,
            device_patient_id=device_patient,
            source=source,
            origin=origin,
        )
        is expected
    )


def days(*pairs):
    return {dt.date(2026, m, d) for m, d in pairs}


@pytest.mark.parametrize(
    ("device_days", "expected"),
    [
        (days(), None),
        (days((10, 5)), None),  # one day: no period has two yet
        (days((10, 5), (10, 30)), (dt.date(2026, 10, 1), dt.date(2026, 10, 30))),
        # one day in the first period, two in the second: set-up moves to the second
        (days((10, 5), (11, 1), (11, 29)), (dt.date(2026, 10, 31), dt.date(2026, 11, 29))),
        # one day in each of the first two periods, then two in the third
        (
            days((10, 30), (10, 31), (11, 30), (12, 1)),
            (dt.date(2026, 11, 30), dt.date(2026, 12, 29)),
        ),
        (days((9, 20), (9, 21), (10, 2)), None),  # days before the episode do not count
    ],
)
def test_99453_goes_to_the_first_period_with_two_device_days(device_days, expected):
    assert setup_period(START, device_days) == expected
