"""Thresholds and alerts now belong to readings (readings 0004 adds them to its state): care
forgets them, in its state only. Their tables stay, under their care_ names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0003_roster_state"),
        ("readings", "0004_alerts_and_thresholds_from_care"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name="alertevent",
                    name="alert",
                ),
                migrations.RemoveField(
                    model_name="alertreading",
                    name="alert",
                ),
                migrations.RemoveField(
                    model_name="alertevent",
                    name="actor",
                ),
                migrations.RemoveField(
                    model_name="alertevent",
                    name="api_key",
                ),
                migrations.RemoveField(
                    model_name="alertreading",
                    name="patient",
                ),
                migrations.RemoveField(
                    model_name="alertreading",
                    name="reading",
                ),
                migrations.RemoveField(
                    model_name="thresholdrule",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="thresholdrule",
                    name="organization",
                ),
                migrations.RemoveField(
                    model_name="thresholdrule",
                    name="patient",
                ),
                migrations.RemoveField(
                    model_name="thresholdrule",
                    name="superseded_by",
                ),
                migrations.DeleteModel(
                    name="Alert",
                ),
                migrations.DeleteModel(
                    name="AlertEvent",
                ),
                migrations.DeleteModel(
                    name="AlertReading",
                ),
                migrations.DeleteModel(
                    name="ThresholdRule",
                ),
            ],
        ),
    ]
