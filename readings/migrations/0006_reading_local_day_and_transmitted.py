"""A reading's local day, the offset that gave it, and whether a device transmitted it, stored
on the row (readings.device_days decides them for new readings). Existing rows are backfilled
with the same rules (readings.billing.reading_local_day, assigned_patient_at, transmitted): in
SQL on PostgreSQL, in Python in batches elsewhere (the SQLite demo).

Backfill decision: Validic's metric `origin` was not kept before this migration, so an existing
Validic reading linked to a device assigned to its patient at that instant counts as
transmitted (the portal takes Validic readings from Smart Meter devices only); new ones count
only with origin "device"."""

import zoneinfo

from django.db import migrations, models
from django.db.models import Q

from readings import billing

BATCH = 2000

# reading_local_day: the offset sent, else the zone's offset at the instant (an instant whose
# local time Python cannot hold stays in UTC, as portal.dates.in_zone does). transmitted: not
# manual, and the device's patient at the instant (assigned_patient_at) is the reading's.
BACKFILL_SQL = r"""
WITH x AS (
    SELECT r.id,
           CASE WHEN r.measured_at < '0001-01-02T00:00:00Z'
                  OR r.measured_at > '9999-12-30T00:00:00Z' THEN 0
                ELSE coalesce(r.patient_tz_offset, extract(epoch FROM
                    (r.measured_at AT TIME ZONE p.time_zone)
                    - (r.measured_at AT TIME ZONE 'UTC'))::integer) END AS off,
           NOT r.manual AND r.device_id IS NOT NULL AND r.patient_id IS NOT DISTINCT FROM (
               CASE WHEN EXISTS (SELECT 1 FROM devices_deviceassignment a
                                 WHERE a.device_id = r.device_id
                                   AND a.assigned_at <= r.measured_at)
                    THEN (SELECT CASE WHEN a.ended_at IS NOT NULL
                                       AND a.ended_at <= r.measured_at
                                      THEN NULL ELSE a.patient_id END
                          FROM devices_deviceassignment a
                          WHERE a.device_id = r.device_id AND a.assigned_at <= r.measured_at
                          ORDER BY a.assigned_at DESC, a.id DESC LIMIT 1)
                    WHEN EXISTS (SELECT 1 FROM devices_deviceassignment a
                                 WHERE a.device_id = r.device_id)
                    THEN (SELECT a.patient_id FROM devices_deviceassignment a
                          WHERE a.device_id = r.device_id
                          ORDER BY a.assigned_at, a.id LIMIT 1)
                    ELSE (SELECT d.assigned_patient_id FROM devices_device d
                          WHERE d.id = r.device_id) END) AS sent
    FROM readings_reading r JOIN portal_patient p ON p.id = r.patient_id
)
UPDATE readings_reading r
SET local_offset = x.off,
    local_day = ((r.measured_at AT TIME ZONE 'UTC') + x.off * interval '1 second')::date,
    transmitted = x.sent
FROM x WHERE x.id = r.id
"""


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKFILL_SQL, params=None)
        return
    Reading = apps.get_model("readings", "Reading")
    DeviceAssignment = apps.get_model("devices", "DeviceAssignment")
    Device = apps.get_model("devices", "Device")
    histories: dict[int, list] = {}
    for a in DeviceAssignment.objects.order_by("assigned_at", "id"):
        histories.setdefault(a.device_id, []).append((a.assigned_at, a.ended_at, a.patient_id))
    current = dict(Device.objects.values_list("pk", "assigned_patient_id"))
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    last = 0
    while True:
        batch = list(
            Reading.objects.filter(pk__gt=last).select_related("patient").order_by("pk")[:BATCH]
        )
        if not batch:
            return
        for r in batch:
            zone = zones.setdefault(r.patient.time_zone, zoneinfo.ZoneInfo(r.patient.time_zone))
            r.local_day, r.local_offset = billing.reading_local_day(
                r.measured_at, zone, r.patient_tz_offset
            )
            device_patient = None
            if r.device_id is not None:
                device_patient = billing.assigned_patient_at(
                    histories.get(r.device_id, []), r.measured_at, current.get(r.device_id)
                )
            r.transmitted = billing.transmitted(
                manual=r.manual,
                patient_id=r.patient_id,
                device_patient_id=device_patient,
                source=r.source,
                origin=billing.DEVICE_ORIGIN,  # not kept before: see the module's docstring
            )
        Reading.objects.bulk_update(batch, ["local_day", "local_offset", "transmitted"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0002_device_operation"),
        ("portal", "0001_initial"),
        ("readings", "0005_vendor_record_versions_and_origin"),
    ]

    operations = [
        migrations.AddField(
            model_name="reading",
            name="local_day",
            field=models.DateField(
                null=True, help_text="The patient-local calendar day of the reading."
            ),
        ),
        migrations.AddField(
            model_name="reading",
            name="local_offset",
            field=models.IntegerField(
                null=True, help_text="Seconds: the UTC offset that gave local_day."
            ),
        ),
        migrations.AddField(
            model_name="reading",
            name="transmitted",
            field=models.BooleanField(
                default=False,
                help_text="Device data: sent by a device assigned to the patient then.",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reading",
            name="local_day",
            field=models.DateField(help_text="The patient-local calendar day of the reading."),
        ),
        migrations.AlterField(
            model_name="reading",
            name="local_offset",
            field=models.IntegerField(help_text="Seconds: the UTC offset that gave local_day."),
        ),
        migrations.AddIndex(
            model_name="reading",
            index=models.Index(
                condition=Q(transmitted=True),
                fields=["patient", "local_day"],
                name="reading_device_days",
            ),
        ),
    ]
