"""A reading's patient-local day, the offset that gave it, and whether a device transmitted it:
decided once, when the reading is stored, by every write path (services.ingest's multi-row
INSERT, readings.bulk's COPY, an ORM save), with the rules of readings.billing
(reading_local_day, assigned_patient_at, transmitted). What is stored is what billing, the
roster (its PostgreSQL triggers included), the no-data alerts, pages, API and exports count:
no query recomputes a day from a time zone, so a later change of the patient's zone moves
nothing already stored, and SQLite and PostgreSQL give the same figures."""

from __future__ import annotations

from collections import defaultdict

from devices.models import Device
from readings import billing


def readings_decide(items) -> None:
    """Set `local_day`, `local_offset` and `transmitted` on each item (a services.ingest
    ReadingInput or an unsaved Reading) from its patient, instant, offset sent, device, source
    and (Validic) origin. One query, for the assignment history of the devices the items name;
    none when no item names a device."""
    histories = _assignment_histories({d for i in items if (d := _device_id(i)) is not None})
    for item in items:
        item.local_day, item.local_offset = billing.reading_local_day(
            item.measured_at, item.patient.tz, item.patient_tz_offset
        )
        device_id = _device_id(item)
        device_patient = None
        if device_id is not None and device_id in histories:
            current, history = histories[device_id]
            device_patient = billing.assigned_patient_at(history, item.measured_at, current)
        item.transmitted = billing.transmitted(
            manual=item.manual,
            patient_id=item.patient.pk,
            device_patient_id=device_patient,
            source=item.source,
            origin=getattr(item, "origin", ""),
        )


def _device_id(item) -> int | None:
    if hasattr(item, "device_id"):  # a Reading (its device need not be loaded)
        return item.device_id
    return item.device.pk if item.device is not None else None


def _assignment_histories(device_ids: set[int]) -> dict[int, tuple[int | None, list]]:
    """{device id: (its current patient, [(assigned_at, ended_at, patient id), oldest first])}."""
    if not device_ids:
        return {}
    out: dict[int, tuple[int | None, list]] = {}
    history = defaultdict(list)
    rows = (
        Device.objects.filter(pk__in=device_ids)
        .order_by("pk", "assignments__assigned_at", "assignments__id")
        .values_list(
            "pk",
            "assigned_patient_id",
            "assignments__assigned_at",
            "assignments__ended_at",
            "assignments__patient_id",
        )
    )
    for pk, current, assigned_at, ended_at, patient_id in rows:
        out[pk] = (current, history[pk])
        if assigned_at is not None:
            history[pk].append((assigned_at, ended_at, patient_id))
    return out
