"""`make demo`: the same month of readings the sandbox serves, bulk-inserted (idempotent: a
second run inserts nothing, the unique source key refuses the duplicates)."""

from django.db import transaction

from devices.models import Device
from readings.demo_data import impilo_readings, validic_records
from readings.models import ReadingSource
from readings.services import (
    IngestError,
    impilo_reading_inputs,
    numeric_reading,
    readings_insert,
)
from readings.units import known_metric


@transaction.atomic
def load(*, organization, patients, users, rng, stdout):
    by_impilo = {p.impilo_patient_id: p for p in patients if p.impilo_patient_id}
    by_validic = {p.validic_user_id: p for p in patients if p.validic_user_id}
    devices = Device.objects.filter(organization=organization)
    by_device_id = {d.impilo_device_id: d for d in devices if d.impilo_device_id}
    by_identifier = {d.identifier: d for d in devices}
    items = []
    for obj in impilo_readings():
        try:
            items += impilo_reading_inputs(
                organization=organization, obj=obj, patients=by_impilo, devices=by_device_id
            )
        except IngestError:
            continue
    from datetime import datetime

    for record in validic_records():
        patient = by_validic.get(record["user"]["user_id"])
        if patient is None:
            continue
        at = datetime.fromisoformat(record["start_time"].replace("Z", "+00:00"))
        for entry in record["metrics"]:
            items.append(
                numeric_reading(
                    patient=patient,
                    metric=known_metric(entry["type"]),
                    value=entry["value"],
                    unit=entry["unit"],
                    measured_at=at,
                    source=ReadingSource.VALIDIC,
                    source_record_id=record["id"],
                    source_checksum=record["checksum"],
                    measurement_group=f"validic:{record['id']}",
                    device=by_identifier.get(record["source"]["device"]["id"]),
                    device_tz_offset=record["utc_offset"],
                    metric_key=entry["type"],
                )
            )
    created = readings_insert(organization=organization, items=items)
    stdout.write(f"Readings: {len(created)} new of {len(items)} for the last 30 days.")
