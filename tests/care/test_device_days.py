"""What a device day is, decided once (issue 15): each reading's local day, the offset used and
whether a device transmitted it are stored when it arrives, through every write path, and
billing, the roster and the no-data alerts count only what is stored — the same figures on
PostgreSQL and SQLite, and a later time-zone change moves nothing already reported."""

import datetime as dt
import zoneinfo
from http import HTTPStatus

import pytest
from django.utils import timezone

from devices.models import DeviceAssignment
from readings.alerts import alerts_check_no_data
from readings.bulk import validic_records_bulk_ingest
from readings.care import selectors
from readings.models import Alert, Reading, RuleKind
from readings.services.ingest import ReadingInput, readings_ingest
from tests.factories import AssignedDeviceFactory, PatientFactory, reading
from tests.factories.care import patient_device

pytestmark = pytest.mark.both_databases

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
HR = "/api/v1/readings/heart-rate"
MEASUREMENTS = "/api/v1/measurements"


def at(day: dt.date, hour=9, minute=0, zone=NEW_YORK) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)


def line_for(patient, month, now=dt.datetime(2026, 12, 15, tzinfo=dt.UTC)):
    return selectors.billing_lines([patient], month, now=now)[0]


def validic_record(record_id, start: dt.datetime, origin="device", imei="111111111111111"):
    """seed 004's sample record, for `start`, with no utc_offset sent."""
    return {
        "checksum": f"sum-{record_id}",
        "id": record_id,
        "metrics": [{"type": "pulse", "origin": origin, "unit": "bpm", "value": 82}],
        "source": {"type": "smart_meter", "device": {"id": imei}},
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "type": "measurement",
        "user": {"user_id": "652572SAMPLEe18b8b8", "uid": "123456"},
        "utc_offset": None,
        "version": "1.0",
    }


@pytest.fixture
def monitored(org):
    """A New York patient whose episode began on Oct 1, 2026 (periods Oct 1–30, Oct 31–Nov 29)."""
    return PatientFactory(
        organization=org,
        time_zone="America/New_York",
        monitoring_started_on=dt.date(2026, 10, 1),
        impilo_patient_id=30001,
        validic_user_id="652572SAMPLEe18b8b8",
    )


@pytest.fixture
def oximeter(org, monitored):
    return AssignedDeviceFactory(
        organization=org, identifier="111111111111111", assigned_patient=monitored
    )


# --- a reading's day: local, stored, on both databases ----------------------------------------
@pytest.mark.parametrize("path", ["single", "bulk"])
def test_2330_local_in_utc_minus_5_with_no_offset_sent_is_that_local_day(
    api, monitored, oximeter, path
):
    # 23:30 on Nov 20 in New York (EST, UTC−5) is 04:30 UTC on Nov 21; Validic sent no offset.
    record = validic_record("late-evening", dt.datetime(2026, 11, 21, 4, 30, tzinfo=dt.UTC))
    if path == "single":
        assert api.post(MEASUREMENTS, record, format="json").status_code == HTTPStatus.CREATED
    else:
        assert validic_records_bulk_ingest(organization=monitored.organization, records=[record])
    stored = Reading.objects.get()
    assert (stored.patient_tz_offset, stored.local_offset) == (None, -18000)
    assert (stored.local_day, stored.transmitted) == (dt.date(2026, 11, 20), True)
    assert line_for(monitored, dt.date(2026, 11, 1)).periods[0].days == [dt.date(2026, 11, 20)]


@pytest.mark.parametrize(
    ("day", "offsets"),
    [
        (dt.date(2026, 3, 8), (-18000, -14400)),  # DST begins: a 23-hour day
        (dt.date(2026, 11, 1), (-14400, -18000)),  # DST ends: a 25-hour day
    ],
)
def test_a_dst_day_of_2026_is_one_day(org, day, offsets):
    patient = PatientFactory(
        organization=org, time_zone="America/New_York", monitoring_started_on=day
    )
    first = reading(patient, "systolic", 120, at=at(day, 0, 30))
    last = reading(patient, "systolic", 121, at=at(day, 23, 30))
    assert (first.local_offset, last.local_offset) == offsets
    assert Reading.objects.filter(local_day=day).count() == 2
    month = day + dt.timedelta(days=29)  # the month the episode's first period ends in
    assert line_for(patient, month).periods[0].days == [day]


def test_a_time_zone_change_after_a_period_was_reported_changes_nothing(monitored):
    for n in range(16):  # 16 device days in period 1, each at 23:30 New York time
        reading(monitored, "systolic", 120, at=at(dt.date(2026, 10, 1 + n), 23, 30))
    reported = line_for(monitored, dt.date(2026, 10, 1))
    stored = list(Reading.objects.order_by("pk").values_list("local_day", "local_offset"))
    monitored.time_zone = "Pacific/Auckland"  # 17–18 hours ahead: every 23:30 is the next day
    monitored.save()
    assert list(Reading.objects.order_by("pk").values_list("local_day", "local_offset")) == stored
    again = line_for(monitored, dt.date(2026, 10, 1))
    assert [(p.first, p.last, p.days) for p in again.periods] == [
        (p.first, p.last, p.days) for p in reported.periods
    ]
    assert again.code_names == reported.code_names == ["99453", "99454"]


# --- which readings a device transmitted ------------------------------------------------------
@pytest.mark.parametrize(
    ("origin", "counts"), [("device", True), ("manual", False), ("", False), (None, False)]
)
def test_validic_counts_only_metrics_whose_origin_is_device(
    api, monitored, oximeter, origin, counts
):
    record = validic_record("rec-1", at(dt.date(2026, 11, 10)), origin=origin)
    if origin is None:
        del record["metrics"][0]["origin"]
    assert api.post(MEASUREMENTS, record, format="json").status_code == HTTPStatus.CREATED
    assert Reading.objects.get().transmitted is counts


def test_a_device_not_assigned_to_the_patient_then_does_not_count(org, monitored):
    # The cuff was someone else's until Nov 5, then the monitored patient's.
    other = PatientFactory(organization=org)
    cuff = AssignedDeviceFactory(organization=org, assigned_patient=monitored)
    handover = at(dt.date(2026, 11, 5), 12)
    DeviceAssignment.objects.create(
        device=cuff, patient=other, assigned_at=at(dt.date(2026, 9, 1)), ended_at=handover
    )
    DeviceAssignment.objects.create(device=cuff, patient=monitored, assigned_at=handover)

    def stored(day, hour=9, patient=monitored):
        item = ReadingInput(
            patient=patient,
            metric="heart_rate",
            value=70,
            unit="/min",
            measured_at=at(day, hour),
            source="impilo",
            source_record_id=f"{patient.pk}-{day}-{hour}",
            device=cuff,
        )
        return readings_ingest(organization=org, items=[item], action="test").created[0]

    assert stored(dt.date(2026, 11, 4)).transmitted is False  # the other patient's then
    assert stored(dt.date(2026, 11, 5), 11).transmitted is False
    assert stored(dt.date(2026, 11, 5), 13).transmitted is True
    assert stored(dt.date(2026, 11, 4), patient=other).transmitted is True
    assert stored(dt.date(2026, 11, 6), patient=other).transmitted is False  # ended


def test_a_patient_graph_reading_without_a_device_does_not_count(api, monitored):
    monitored.patient_graph_id = "pg-9001"
    monitored.save()
    for source in ("api", "upload"):
        body = {
            "metric_key": "weight",
            "value_numeric": "182.4",
            "unit": "lbs",
            "source": source,
            "recorded_at": f"2026-11-2{len(source)}T12:00:00Z",
        }
        response = api.post("/api/v1/patients/pg-9001/metrics", body, format="json")
        assert response.status_code == HTTPStatus.CREATED
    assert list(Reading.objects.values_list("transmitted", flat=True)) == [False, False]
    assert line_for(monitored, dt.date(2026, 11, 1)).periods[0].days == []


@pytest.mark.parametrize(
    ("subject", "counts"),
    [({"patientId": 30001}, False), ({"deviceId": 80011}, True)],
)
def test_an_impilo_reading_with_only_a_patient_id_does_not_count(
    api, org, monitored, subject, counts
):
    AssignedDeviceFactory(organization=org, assigned_patient=monitored, impilo_device_id=80011)
    body = {"readingTimestamp": "2026-11-20T14:00:00Z", "heartRate": 70, **subject}
    assert api.post(HR, body, format="json").status_code == HTTPStatus.CREATED
    assert Reading.objects.get().transmitted is counts


def test_a_manual_reading_does_not_count(monitored, alice):
    from readings.services.manual import manual_reading_record

    manual_reading_record(
        patient=monitored,
        metric="heart_rate",
        value=70,
        measured_at=at(dt.date(2026, 11, 20)),
        by=alice,
    )
    assert Reading.objects.get().transmitted is False


# --- billing ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, []),
        (2, ["99453", "99445"]),
        (15, ["99453", "99445"]),
        (16, ["99453", "99454"]),
    ],
)
def test_device_days_1_2_15_16(api, monitored, oximeter, days, expected):
    for n in range(days):
        record = validic_record(f"d{n}", at(dt.date(2026, 10, 1 + n)))
        assert api.post(MEASUREMENTS, record, format="json").status_code == HTTPStatus.CREATED
    line = line_for(monitored, dt.date(2026, 10, 1))
    assert (len(line.periods[0].days), line.code_names) == (days, expected)


@pytest.mark.parametrize(
    ("first_period_days", "october", "november"),
    [
        (0, [], ["99453", "99445"]),
        (1, [], ["99453", "99445"]),  # set-up is not lost: it moves to the second period
        (2, ["99453", "99445"], ["99445"]),  # once per episode
    ],
)
def test_99453_goes_to_the_first_period_with_two_device_days(
    monitored, first_period_days, october, november
):
    for n in range(first_period_days):
        reading(monitored, "systolic", 120, at=at(dt.date(2026, 10, 10 + n)))
    for n in range(3):  # period 2: Oct 31–Nov 29
        reading(monitored, "systolic", 120, at=at(dt.date(2026, 11, 10 + n)))
    assert line_for(monitored, dt.date(2026, 10, 1)).code_names == october
    assert line_for(monitored, dt.date(2026, 11, 1)).code_names == november


# --- no-data alerts --------------------------------------------------------------------------
@pytest.mark.parametrize(("silent_days", "alerted"), [(2, False), (3, True)])
def test_no_data_alerts_count_local_days_of_device_silence(org, monitored, silent_days, alerted):
    now = timezone.now()
    today = now.astimezone(NEW_YORK).date()
    reading(monitored, "systolic", 120, at=at(today - dt.timedelta(days=silent_days), 23, 30))
    opened = alerts_check_no_data(organization=org, now=now)  # the default rule: 3 days
    assert [a.patient_id for a in opened] == ([monitored.pk] if alerted else [])


def test_a_manual_reading_does_not_silence_the_no_data_alert(org, monitored, alice):
    from readings.services.manual import manual_reading_record

    now = timezone.now()
    reading(monitored, "systolic", 120, at=now - dt.timedelta(days=5))
    manual_reading_record(
        patient=monitored,
        metric="heart_rate",
        value=70,
        measured_at=now - dt.timedelta(hours=1),
        by=alice,
    )
    alerts_check_no_data(organization=org, now=now)
    assert Alert.objects.filter(patient=monitored, kind=RuleKind.NO_DATA).count() == 1


def test_a_device_assigned_today_counts_its_earlier_history(org, monitored):
    # A vendor sync records when it saw an assignment, not when it was made: readings from
    # before the device's first recorded assignment are its first patient's.
    cuff = patient_device(monitored)
    DeviceAssignment.objects.create(device=cuff, patient=monitored, assigned_at=timezone.now())
    earlier = reading(monitored, "systolic", 120, at=at(dt.date(2026, 10, 3)), device=cuff)
    assert earlier.transmitted is True
    assert earlier.local_day == dt.date(2026, 10, 3)
