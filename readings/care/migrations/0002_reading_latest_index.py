"""An index on readings for the roster's "latest reading per patient" and "days with data"
subqueries. The readings app's index (patient, metric, measured_at) serves one metric's chart;
the roster asks across metrics. Created here (raw SQL) because the readings migrations belong
to the readings app; `IF NOT EXISTS` keeps it harmless if readings later adds the same index."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("readings", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS care_reading_patient_time "
            "ON readings_reading (patient_id, measured_at DESC)",
            "DROP INDEX IF EXISTS care_reading_patient_time",
        )
    ]
