"""Workers take Solo webhook deliveries from the inbox itself (appointments.services.
webhook_inbox): the claim wants the oldest pending row, so the index holds only the pending rows
(received, retrying) in id order. It replaces (status, next_attempt_at), which the old
minute-by-minute sweep read: the same number of indexes to keep up on each insert."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_plural_names_of_copies_and_deliveries"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="webhookdelivery",
            name="delivery_due",
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("status__in", ["received", "retrying"])),
                fields=["id"],
                name="delivery_pending",
            ),
        ),
    ]
