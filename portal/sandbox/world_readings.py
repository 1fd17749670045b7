"""A realistic month of readings for the demo cast, as the vendors hold it: the sandbox serves it
through the Impilo and Validic pull endpoints, and the demo loader mirrors it through the
portal's readings pulls. Deterministic: a given day's readings are the same on every machine
and every run.

- BP cuffs twice a day (~07:30 and ~19:30 local), scales daily (~06:45, no offset sent), Smart
  Meter pulse oximeters daily and glucometers twice a day through Validic;
- gaps (missed days, one patient in six is away for three days), a few out-of-range values,
  one heart-failure patient gaining weight over the last week;
- devices of the Denver site keep Denver time (deviceTimeZoneOffset differs from the patient's);
- the month ends now, so it crosses a DST change when one happened in the last 30 days (US DST
  ended 2026-11-01);
- Validic's stream also carries later versions of some records, as Validic sends them: a
  correction (same id, new checksum and value, written a few hours later) and a deletion (same
  id, `deleted_at` set, new checksum), so the pull meets replays, corrections and deletions.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import random
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from portal.sandbox import world

DAYS = 30
ITEM_NAMES = {item_id: name for item_id, name, _kind in world.ITEMS}
EPOCH = date(2026, 1, 1)


def _now_hour() -> datetime:
    return datetime.now(tz=UTC).replace(minute=0, second=0, microsecond=0)


def _at(day: date, clock: time, zone: zoneinfo.ZoneInfo, jitter_minutes: int) -> datetime:
    local = datetime.combine(day, clock, tzinfo=zone) + timedelta(minutes=jitter_minutes)
    return local.astimezone(UTC)


def _offset(instant: datetime, zone: zoneinfo.ZoneInfo) -> int:
    return int(instant.astimezone(zone).utcoffset().total_seconds())


def _iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _days(end: datetime):
    last = end.date()
    return [last - timedelta(days=n) for n in range(DAYS, -1, -1)]


def _missed(rng: random.Random, index: int, day: date, end: datetime) -> bool:
    if index % 6 == 1 and 10 <= (end.date() - day).days <= 12:
        return True  # away for three days
    return rng.random() < 0.07


def impilo_readings(end: datetime | None = None) -> tuple[dict, ...]:
    """Impilo reading objects (seed 000's reading object; cuffs add systolic/diastolic, scales
    weight/weightUnit), oldest first. Each carries `receivedAt` for the sandbox's cursor."""
    return _impilo_readings(end or _now_hour())


def validic_records(end: datetime | None = None) -> tuple[dict, ...]:
    """Validic Inform measurement records (seed 004 format) from the Smart Meter devices: each
    record's first version, oldest first."""
    return _validic_records(end or _now_hour())[0]


def validic_later_versions(end: datetime | None = None) -> tuple[tuple[str, dict], ...]:
    """(written at, record) of the corrections and deletions Validic made later, oldest first:
    the stream serves each where it was written."""
    return _validic_records(end or _now_hour())[1]


@functools.lru_cache(maxsize=2)  # keyed by the hour, so a long-running demo moves on
def _impilo_readings(end: datetime) -> tuple[dict, ...]:
    start = end - timedelta(days=DAYS)
    people = {p.index: p for p in world.demo_patients()}
    site_zone = {site_id: zoneinfo.ZoneInfo(zone) for site_id, _n, _v, zone in world.SITES}
    out = []
    for device in world.demo_devices():
        if device.source != "impilo" or device.patient_index is None:
            continue
        if device.item_id not in (101, 102):
            continue
        person = people[device.patient_index]
        zone = zoneinfo.ZoneInfo(person.time_zone)
        # Devices handed out at the Denver site keep Denver time on their clocks.
        device_zone = site_zone[device.site_id] if device.site_id == 502 else zone
        i = person.index
        for day in _days(end):
            rng = random.Random(f"{device.identifier}:{day.isoformat()}")
            if _missed(rng, i, day, end):
                continue
            slots = [time(7, 30), time(19, 30)] if device.item_id == 101 else [time(6, 45)]
            for slot_no, clock in enumerate(slots):
                if device.item_id == 101 and rng.random() < 0.05:
                    continue  # a skipped evening or morning
                at = _at(day, clock, zone, rng.randint(-40, 40))
                if not start <= at <= end:
                    continue
                reading = {
                    "id": device.impilo_device_id * 10000 + (day - EPOCH).days * 2 + slot_no,
                    "readingTimestamp": _iso(at),
                    "receivedAt": _iso(at + timedelta(minutes=2)),
                    "manual": False,
                    "patientTimeZoneOffset": _offset(at, zone),
                    "patient": {"id": person.impilo_patient_id},
                    "item": {"id": device.item_id, "name": ITEM_NAMES[device.item_id]},
                    "device": {"id": device.impilo_device_id, "identifier": device.identifier},
                }
                if device.item_id == 101:
                    spike = rng.random() < 0.03
                    systolic = 118 + (i * 7) % 35 + rng.randint(-8, 8) + (45 if spike else 0)
                    diastolic = 72 + (i * 3) % 15 + rng.randint(-6, 6) + (12 if spike else 0)
                    reading.update(
                        type="bloodPressure",
                        deviceTimeZoneOffset=_offset(at, device_zone),
                        systolic=systolic,
                        diastolic=diastolic,
                        heartRate=66 + (i * 5) % 20 + rng.randint(-6, 6) + (40 if spike else 0),
                        heartRateUnit="bpm",
                    )
                else:
                    base = 150 + (i * 13) % 90 + ((day - EPOCH).days % 7) * 0.1
                    days_left = (end.date() - day).days
                    gain = max(0, 6 - days_left) * 0.9 if i == 0 else 0  # fluid retention
                    reading.update(
                        type="weight",
                        deviceTimeZoneOffset=None,  # this scale sends no time zone
                        weight=round(base + gain + rng.uniform(-0.8, 0.8), 1),
                        weightUnit="lb",
                    )
                out.append(reading)
    out.sort(key=lambda r: (r["receivedAt"], r["id"]))
    return tuple(out)


def _checksum(record: dict) -> str:
    return hashlib.sha1(  # noqa: S324 — a change marker, not security
        repr(sorted((k, v) for k, v in record.items() if k != "checksum")).encode()
    ).hexdigest()[:27]


def _later_versions(record: dict, rng: random.Random, end: datetime) -> list[tuple[str, dict]]:
    """About 3 in 100 records are corrected a few hours later (the meter's value re-read) and
    2 in 100 deleted (the patient withdrew the measurement); never after `end`."""
    roll = rng.random()
    if roll >= 0.05:
        return []
    at = datetime.fromisoformat(record["start_time"].replace("Z", "+00:00"))
    written = at + timedelta(hours=3, minutes=rng.randint(0, 59))
    if written > end:
        return []
    version = copy.deepcopy(record)
    stamp = written.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if roll < 0.03:
        first = version["metrics"][0]
        value = first["value"] + rng.choice([-3, -2, 2, 3])
        if first["type"] == "spo2":
            value = min(value, 100)  # a re-read of 99 % is at most 100 %, never 102 %
        first["value"] = float(value)
    else:
        version["deleted_at"] = _iso(written)
    version["checksum"] = _checksum(version)
    return [(stamp, version)]


@functools.lru_cache(maxsize=2)
def _validic_records(end: datetime) -> tuple[tuple[dict, ...], tuple[tuple[str, dict], ...]]:
    start = end - timedelta(days=DAYS)
    later: list[tuple[str, dict]] = []
    people = {p.index: p for p in world.demo_patients()}
    out = []
    for device in world.demo_devices():
        if device.source != "validic" or device.patient_index is None:
            continue
        person = people[device.patient_index]
        zone = zoneinfo.ZoneInfo(person.time_zone)
        oximeter = device.item_id == 103
        for day in _days(end):
            rng = random.Random(f"{device.identifier}:{day.isoformat()}")
            if _missed(rng, person.index, day, end):
                continue
            for slot_no, clock in enumerate(
                [time(9, 0)] if oximeter else [time(7, 0), time(18, 0)]
            ):
                at = _at(day, clock, zone, rng.randint(-30, 30))
                if not start <= at <= end:
                    continue
                if oximeter:
                    low = rng.random() < 0.04
                    metrics = [
                        {
                            "type": "spo2",
                            "origin": "device",
                            "unit": "percent",
                            "value": float(rng.randint(86, 89) if low else rng.randint(93, 99)),
                        },
                        {
                            "type": "pulse",
                            "origin": "device",
                            "unit": "bpm",
                            "value": 64 + person.index % 20 + rng.randint(-5, 5),
                        },
                    ]
                    model, kind = "smc-ox", "pulse_oximeter"
                else:
                    high = rng.random() < 0.05
                    metrics = [
                        {
                            "type": "blood_glucose",
                            "origin": "device",
                            "unit": "mg/dL",
                            "value": float(rng.randint(260, 310) if high else rng.randint(85, 180)),
                        },
                    ]
                    model, kind = "smc-gl", "blood_glucose"
                record_id = hashlib.sha1(  # noqa: S324 — an id, not a secret
                    f"{device.identifier}:{day}:{slot_no}".encode()
                ).hexdigest()[:29]
                record = {
                    "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "deleted_at": None,
                    "end_time": _iso(at),
                    "id": record_id,
                    "log_id": str(500000000000000 + int(record_id[:8], 16)),
                    "metrics": metrics,
                    "offset_origin": "source",
                    "source": {
                        "type": "smart_meter",
                        "device": {
                            "id": device.identifier,
                            "model": model,
                            "manufacturer": "smart meter",
                            "diagnostics": [],
                        },
                    },
                    "start_time": _iso(at),
                    "tags": [kind],
                    "type": "measurement",
                    "user": {
                        "organization_id": world.VALIDIC_ORG_ID,
                        "user_id": person.validic_user_id,
                        "uid": person.mrn,
                    },
                    "user_notes": [],
                    "utc_offset": _offset(at, zone),
                    "version": "1.0",
                }
                record["checksum"] = hashlib.sha1(  # noqa: S324 — a change marker, not security
                    repr(sorted(record.items())).encode()
                ).hexdigest()[:27]
                out.append(record)
                later += _later_versions(record, random.Random(f"later:{record_id}"), end)
    out.sort(key=lambda r: (r["created_at"], r["id"]))
    later.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    return tuple(out), tuple(later)
