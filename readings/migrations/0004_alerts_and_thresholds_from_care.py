"""Thresholds and alerts move from care to readings: ingestion evaluates them in its own
transaction, and readings never imports care.

State only. The tables keep their names (care_thresholdrule, care_alert, care_alertreading,
care_alertevent: Meta.db_table), so no row moves and care's roster triggers (care 0003), which
name those tables, keep working. care 0004 removes the models from care's state after this
adds them here. The content types move with the models, so the permissions granted on them
(organization admins' group) and admin history follow.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("thresholdrule", "alert", "alertreading", "alertevent")


def _relabel(apps, schema_editor, old, new):
    content_type = apps.get_model("contenttypes", "ContentType")
    types = content_type.objects.using(schema_editor.connection.alias)
    for model in MOVED:
        if not types.filter(app_label=new, model=model).exists():
            types.filter(app_label=old, model=model).update(app_label=new)


def content_types_to_readings(apps, schema_editor):
    _relabel(apps, schema_editor, "care", "readings")


def content_types_to_care(apps, schema_editor):
    _relabel(apps, schema_editor, "readings", "care")


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0003_roster_state"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0003_organization_require_second_factor"),
        ("readings", "0003_impilo_once_per_device_instant"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Alert",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("rule_key", models.CharField(max_length=120)),
                        (
                            "rule_text",
                            models.CharField(
                                help_text="The rule as it read when it fired.", max_length=200
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("single", "A single reading"),
                                    ("average", "Average of the last N readings"),
                                    ("weight_gain", "Weight gain within Y days"),
                                    ("no_data", "No data for N days"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("metric", models.CharField(blank=True, max_length=64)),
                        (
                            "severity",
                            models.CharField(
                                choices=[("critical", "Critical"), ("warning", "Warning")],
                                max_length=10,
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("open", "Open"),
                                    ("acknowledged", "Acknowledged"),
                                    ("escalated", "Escalated"),
                                    ("resolved", "Resolved"),
                                ],
                                default="open",
                                max_length=14,
                            ),
                        ),
                        ("breach_count", models.PositiveIntegerField(default=0)),
                        ("detail", models.JSONField(blank=True, default=dict)),
                        ("first_triggered_at", models.DateTimeField()),
                        ("last_triggered_at", models.DateTimeField()),
                        ("acknowledged_at", models.DateTimeField(blank=True, null=True)),
                        ("escalated_at", models.DateTimeField(blank=True, null=True)),
                        ("resolved_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "acknowledged_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="portal.organization",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="alerts",
                                to="portal.patient",
                            ),
                        ),
                        (
                            "resolved_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "care_alert",
                        "ordering": ["-last_triggered_at", "-id"],
                    },
                ),
                migrations.CreateModel(
                    name="AlertEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "action",
                            models.CharField(
                                choices=[
                                    ("opened", "Opened"),
                                    ("breach", "Breached again"),
                                    ("acknowledged", "Acknowledged"),
                                    ("note", "Note"),
                                    ("escalated", "Escalated"),
                                    ("resolved", "Resolved"),
                                ],
                                max_length=14,
                            ),
                        ),
                        ("note", models.TextField(blank=True)),
                        ("at", models.DateTimeField(auto_now_add=True)),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "alert",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="events",
                                to="readings.alert",
                            ),
                        ),
                        (
                            "api_key",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="portal.apikey",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "care_alertevent",
                        "ordering": ["at", "id"],
                    },
                ),
                migrations.CreateModel(
                    name="AlertReading",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("rule_key", models.CharField(max_length=120)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "alert",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="links",
                                to="readings.alert",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="portal.patient",
                            ),
                        ),
                        (
                            "reading",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="readings.reading",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "care_alertreading",
                    },
                ),
                migrations.AddField(
                    model_name="alert",
                    name="readings",
                    field=models.ManyToManyField(
                        related_name="+", through="readings.AlertReading", to="readings.reading"
                    ),
                ),
                migrations.CreateModel(
                    name="ThresholdRule",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("single", "A single reading"),
                                    ("average", "Average of the last N readings"),
                                    ("weight_gain", "Weight gain within Y days"),
                                    ("no_data", "No data for N days"),
                                ],
                                max_length=16,
                            ),
                        ),
                        (
                            "metric",
                            models.CharField(
                                blank=True, help_text="Blank for 'no data' rules.", max_length=64
                            ),
                        ),
                        (
                            "direction",
                            models.CharField(
                                choices=[("above", "at or above"), ("below", "at or below")],
                                default="above",
                                max_length=8,
                            ),
                        ),
                        (
                            "value",
                            models.FloatField(
                                blank=True,
                                help_text="In the metric's canonical unit (lb for weight). Unused for 'no data'.",
                                null=True,
                            ),
                        ),
                        (
                            "readings_count",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="N readings averaged (average rules).",
                                null=True,
                            ),
                        ),
                        (
                            "days",
                            models.PositiveSmallIntegerField(
                                blank=True,
                                help_text="Y days (weight gain) or N days (no data).",
                                null=True,
                            ),
                        ),
                        (
                            "severity",
                            models.CharField(
                                choices=[("critical", "Critical"), ("warning", "Warning")],
                                default="warning",
                                max_length=10,
                            ),
                        ),
                        ("is_active", models.BooleanField(default=True)),
                        (
                            "reason",
                            models.TextField(
                                blank=True, help_text="Why this override (required for patients)."
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("superseded_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="portal.organization",
                            ),
                        ),
                        (
                            "patient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="threshold_rules",
                                to="portal.patient",
                            ),
                        ),
                        (
                            "superseded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "care_thresholdrule",
                        "ordering": ["metric", "kind", "direction", "-created_at"],
                    },
                ),
                migrations.AddField(
                    model_name="alert",
                    name="rule",
                    field=models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="alerts",
                        to="readings.thresholdrule",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="alertreading",
                    constraint=models.UniqueConstraint(
                        fields=("reading", "rule_key"), name="alert_reading_once_per_rule"
                    ),
                ),
                migrations.AddIndex(
                    model_name="thresholdrule",
                    index=models.Index(
                        condition=models.Q(("superseded_at__isnull", True)),
                        fields=["organization", "patient"],
                        name="threshold_current",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="thresholdrule",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(
                            ("patient__isnull", True), ("superseded_at__isnull", True)
                        ),
                        fields=("organization", "kind", "metric", "direction", "severity"),
                        name="threshold_one_current_default",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="thresholdrule",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(
                            ("patient__isnull", False), ("superseded_at__isnull", True)
                        ),
                        fields=("patient", "kind", "metric", "direction", "severity"),
                        name="threshold_one_current_override",
                    ),
                ),
                migrations.AddIndex(
                    model_name="alert",
                    index=models.Index(
                        fields=["organization", "status", "-last_triggered_at"], name="alert_queue"
                    ),
                ),
                migrations.AddIndex(
                    model_name="alert",
                    index=models.Index(
                        condition=models.Q(("status__in", ["open", "acknowledged", "escalated"])),
                        fields=["patient"],
                        name="alert_open_by_patient",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="alert",
                    constraint=models.UniqueConstraint(
                        condition=models.Q(("status__in", ["open", "acknowledged", "escalated"])),
                        fields=("patient", "rule_key"),
                        name="alert_one_open_per_patient_rule",
                    ),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_readings, content_types_to_care),
    ]
