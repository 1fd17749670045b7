"""A record of each vendor sync (what was synced, progress, counts, errors), split out of
portal/models.py for size and re-exported from there."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.models import Organization


class SyncRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="sync_runs"
    )
    kind = models.CharField(max_length=64, help_text="What was synced, e.g. impilo.devices")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    cursor = models.CharField(
        max_length=200, blank=True, help_text="Where the next run resumes (vendor cursor/since)."
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["organization", "kind", "-started_at"], name="syncrun_latest")
        ]

    def __str__(self):
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def progress_percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.processed / self.total))

    def finish(self, *, error: str | None = None) -> None:
        self.finished_at = timezone.now()
        if error:
            self.errors = [*self.errors, error][-50:]
            self.status = self.Status.FAILED
        else:
            self.status = self.Status.SUCCEEDED
        self.save()
