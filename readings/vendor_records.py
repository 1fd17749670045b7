"""Vendor records and their versions (DESIGN.md "Data rules": every vendor record exactly once,
in its latest version). The rule itself is applied by readings.services.records.

Decision (issue 15): the version state of a vendor record lives beside the readings, in a
ledger, not on them:
- A record's readings carry the checksum of the version they hold (`Reading.source_checksum`).
  While a record has had one version, that is all the state it needs, so the ledger is sparse:
  a `VendorRecord` row is written only when a record is replaced or deleted (or arrives deleted).
  A bulk pull of new records (make bench, figure 1) writes no ledger rows.
- A deletion removes the record's readings and leaves the ledger row as a tombstone
  (`deleted_at`), so no selector of Reading (charts, billing, roster, FHIR) needs a filter, and
  a replayed old version cannot bring the record back: it is recognised by its checksum.
- Each replaced or deleted version keeps its values (a JSON snapshot of the readings it had) in
  a `VendorRecordVersion` row: when, which checksum, what replaced it. Staff see them on the
  reading (readings table, "history"); the API's reading list carries them as `history`."""

from django.db import models
from django.utils import timezone

from portal.models import Organization


class VendorRecord(models.Model):
    """One vendor record (e.g. a Validic measurement `id`) that has had more than one version,
    or was deleted. Which versions were seen decides what a later arrival does."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, help_text="A ReadingSource value.")
    source_record_id = models.CharField(max_length=128)
    current_checksum = models.CharField(
        max_length=128, blank=True, help_text="The version the readings hold (blank: none)."
    )
    checksums_seen = models.JSONField(
        default=list, blank=True, help_text="Checksums of every version seen without deleted_at."
    )
    deletions_seen = models.JSONField(
        default=list, blank=True, help_text="Checksums of every version seen with deleted_at."
    )
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Set: deleted (the vendor's deleted_at); a tombstone."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source", "source_record_id"],
                name="vendor_record_unique",
            )
        ]

    def __str__(self):
        return f"{self.source} record {self.source_record_id}"


class VersionChange(models.TextChoices):
    CORRECTED = "corrected", "Corrected by the vendor"
    DELETED = "deleted", "Deleted by the vendor"


class VendorRecordVersion(models.Model):
    """A version of a record that a newer one replaced (or a deletion removed), with the values
    its readings had. Append-only."""

    record = models.ForeignKey(VendorRecord, on_delete=models.CASCADE, related_name="versions")
    checksum = models.CharField(max_length=128, blank=True)
    replaced_by_checksum = models.CharField(max_length=128, blank=True)
    change = models.CharField(max_length=12, choices=VersionChange.choices)
    values = models.JSONField(
        default=list,
        help_text="The readings this version had: reading id, metric, value, value_text, unit, "
        "measured_at, device, device_tz_offset, origin.",
    )
    replaced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self):
        return f"{self.record} version {self.checksum} ({self.change})"

    def entry_for(self, metric: str) -> dict | None:
        """What this version held for `metric` (None when it had no such reading)."""
        return next((v for v in self.values if v.get("metric") == metric), None)


def reading_histories(readings) -> dict[int, list[tuple[VendorRecordVersion, dict]]]:
    """{reading id: [(earlier version, its values for the reading's metric), …]} oldest first,
    for the readings given (one page): one query whatever their number. Readings of records
    that never changed are absent."""
    readings = [r for r in readings if r.source_record_id and r.source_checksum]
    if not readings:
        return {}
    keys = {(r.organization_id, r.source, r.source_record_id) for r in readings}
    versions = VendorRecordVersion.objects.filter(
        record__organization_id__in={k[0] for k in keys},
        record__source__in={k[1] for k in keys},
        record__source_record_id__in={k[2] for k in keys},
    ).select_related("record")
    by_record: dict[tuple, list[VendorRecordVersion]] = {}
    for version in versions:
        record = version.record
        by_record.setdefault(
            (record.organization_id, record.source, record.source_record_id), []
        ).append(version)
    out: dict[int, list[tuple[VendorRecordVersion, dict]]] = {}
    for reading in readings:
        found = by_record.get((reading.organization_id, reading.source, reading.source_record_id))
        entries = [
            (v, entry) for v in found or () if (entry := v.entry_for(reading.metric)) is not None
        ]
        if entries:
            out[reading.pk] = entries
    return out
