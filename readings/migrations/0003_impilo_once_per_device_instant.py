"""One Impilo measurement, one row: fold the twins stored before the constraint (a hub's post
and Impilo's pull of the same reading), keeping the first stored, then add the constraint."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, Min


def fold_twins(apps, schema_editor):
    Reading = apps.get_model("readings", "Reading")
    groups = (
        Reading.objects.filter(source="impilo", device__isnull=False)
        .values("patient_id", "metric", "measured_at", "device_id")
        .annotate(n=Count("id"), first=Min("id"))
        .filter(n__gt=1)
    )
    for group in groups.iterator():
        # The ORM delete, so whatever hangs on a reading (alert links, outbox) goes with it.
        Reading.objects.filter(
            patient_id=group["patient_id"],
            metric=group["metric"],
            measured_at=group["measured_at"],
            device_id=group["device_id"],
            source="impilo",
        ).exclude(pk=group["first"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0001_initial"),
        ("portal", "0002_organization_thresholds_version"),
        ("readings", "0002_chart_index_covers_value"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(fold_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="reading",
            constraint=models.UniqueConstraint(
                condition=models.Q(("device__isnull", False), ("source", "impilo")),
                fields=("patient", "metric", "measured_at", "device"),
                name="reading_impilo_once_per_device_instant",
            ),
        ),
    ]
