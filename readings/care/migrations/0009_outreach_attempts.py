"""Outreach attempts (readings.care.outreach_models): who tried to reach a patient, when,
how, how it went, and the call logged with it. Schema only: a new table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0008_alert_protocol_notifications"),
        ("portal", "0004_membership_physician_clinical_staff"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OutreachAttempt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(help_text="When the attempt was made.")),
                (
                    "medium",
                    models.CharField(
                        choices=[
                            ("phone", "Phone"),
                            ("video", "Video"),
                            ("text", "Text or secure message"),
                            ("in_person", "In person"),
                        ],
                        max_length=12,
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("no_answer", "No answer"),
                            ("left_message", "Left a message"),
                            ("reached", "Reached"),
                        ],
                        max_length=14,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("worklist", models.CharField(blank=True, max_length=20)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
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
                        related_name="outreach_attempts",
                        to="portal.patient",
                    ),
                ),
                (
                    "performed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "time_entry",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="outreach_attempt",
                        to="care.timeentry",
                    ),
                ),
            ],
            options={
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["patient", "-at"], name="outreach_by_patient"),
                    models.Index(fields=["organization", "at"], name="outreach_by_org_month"),
                ],
            },
        ),
    ]
