# The patient's agreement to receive visit join links by email (issue 16): whether, when, and
# who recorded it. New columns with defaults only: nothing to backfill (nobody has agreed yet).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_membership_physician_clinical_staff"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="email_links_consent",
            field=models.BooleanField(default=False, verbose_name="agreed to visit links by email"),
        ),
        migrations.AddField(
            model_name="patient",
            name="email_links_consent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="patient",
            name="email_links_consent_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
