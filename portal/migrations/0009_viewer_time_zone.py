from django.db import migrations, models

import portal.models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_staff_invites"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="The zone this person's work queues are shown in. Empty: the organization's.",
                max_length=64,
                validators=[portal.models.validate_time_zone],
                verbose_name="time zone",
            ),
        ),
    ]
