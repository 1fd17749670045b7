"""Several weight-gain rules per patient and severity: the window (days) joins the key of a
current rule, and of the alerts it raises. Thresholds keep the value and unit a clinician typed.

Data: an organization still on the old portal default (4.4 lb in 3 days, warning) gets the
heart-failure defaults instead, 3 lb in 1 day and 5 lb in 7 days (the old row is superseded,
kept); an organization that changed it keeps its own. Weight-gain alerts already raised take
their rule's window into their key, so a later breach of the same rule still folds into them.
Reversing keeps the data (a second current weight-gain rule must be superseded by hand first).
"""

import uuid

import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

OLD_DEFAULT = {"value": 4.4, "days": 3, "severity": "warning", "reason": "Portal default"}
NEW_DEFAULTS = [(3.0, 1), (5.0, 7)]


def heart_failure_defaults(apps, schema_editor):
    db = schema_editor.connection.alias
    rule_model = apps.get_model("readings", "ThresholdRule")
    organization = apps.get_model("portal", "Organization")
    now = timezone.now()
    old = rule_model.objects.using(db).filter(
        patient=None, superseded_at=None, kind="weight_gain", metric="weight", **OLD_DEFAULT
    )
    for rule in old:
        rule.superseded_at = now
        rule.save(update_fields=["superseded_at"])
        rule_model.objects.using(db).bulk_create(
            [
                rule_model(
                    organization_id=rule.organization_id,
                    kind="weight_gain",
                    metric="weight",
                    direction="above",
                    value=value,
                    days=days,
                    severity="warning",
                    reason="Portal default",
                )
                for value, days in NEW_DEFAULTS
            ]
        )
        organization.objects.using(db).filter(pk=rule.organization_id).update(
            thresholds_version=uuid.uuid4()
        )


def weight_gain_alert_keys(apps, schema_editor):
    db = schema_editor.connection.alias
    alert_model = apps.get_model("readings", "Alert")
    link_model = apps.get_model("readings", "AlertReading")
    alerts = alert_model.objects.using(db).filter(kind="weight_gain", rule__isnull=False)
    for alert in alerts.exclude(rule_key__regex=r":[0-9]+d$").select_related("rule"):
        key = f"{alert.rule_key}:{alert.rule.days or 0}d"
        link_model.objects.using(db).filter(alert=alert).update(rule_key=key)
        alert.rule_key = key
        alert.save(update_fields=["rule_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_membership_physician_clinical_staff"),
        ("readings", "0006_reading_local_day_and_transmitted"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="thresholdrule",
            name="threshold_one_current_default",
        ),
        migrations.RemoveConstraint(
            model_name="thresholdrule",
            name="threshold_one_current_override",
        ),
        migrations.AddField(
            model_name="thresholdrule",
            name="entered_unit",
            field=models.CharField(
                blank=True,
                help_text="UCUM; blank: canonical.",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="thresholdrule",
            name="entered_value",
            field=models.FloatField(
                blank=True,
                help_text="As typed, in entered_unit.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="thresholdrule",
            constraint=models.UniqueConstraint(
                models.F("organization"),
                models.F("kind"),
                models.F("metric"),
                models.F("direction"),
                models.F("severity"),
                models.Case(
                    models.When(
                        kind="weight_gain",
                        then=django.db.models.functions.comparison.Coalesce(
                            "days", models.Value(0)
                        ),
                    ),
                    default=models.Value(0),
                    output_field=models.IntegerField(),
                ),
                condition=models.Q(("patient__isnull", True), ("superseded_at__isnull", True)),
                name="threshold_one_current_default",
            ),
        ),
        migrations.AddConstraint(
            model_name="thresholdrule",
            constraint=models.UniqueConstraint(
                models.F("patient"),
                models.F("kind"),
                models.F("metric"),
                models.F("direction"),
                models.F("severity"),
                models.Case(
                    models.When(
                        kind="weight_gain",
                        then=django.db.models.functions.comparison.Coalesce(
                            "days", models.Value(0)
                        ),
                    ),
                    default=models.Value(0),
                    output_field=models.IntegerField(),
                ),
                condition=models.Q(("patient__isnull", False), ("superseded_at__isnull", True)),
                name="threshold_one_current_override",
            ),
        ),
        migrations.RunPython(heart_failure_defaults, migrations.RunPython.noop),
        migrations.RunPython(weight_gain_alert_keys, migrations.RunPython.noop),
    ]
