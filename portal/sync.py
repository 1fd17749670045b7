"""The one shape every vendor pull has, shared by `devices.sync`, `readings.sync` and
`appointments.sync`.

- An organization-wide pull is `<things>_sync(*, run: SyncRun) -> SyncRun`. The caller starts
  the run with `sync_run_start` (so a page can show its progress while a worker does the work),
  the pull fills in its counts and finishes it: succeeded, or failed with the vendor's message
  in staff words.
- A refresh of one record that a webhook named is `<thing>_sync_one(*, organization, <id>)`,
  returning the mirrored row or None when the vendor no longer has it.
"""

from __future__ import annotations

from portal.models import SyncRun


def sync_run_start(*, organization, kind: str, by=None, join_running: bool = False) -> SyncRun:
    """A new run of `kind` that resumes from the last saved cursor. With `join_running`, the run
    already in progress for this organization is returned instead of starting a second one
    (a staff click while the periodic sync runs shows that run's progress)."""
    if join_running:
        running = SyncRun.objects.filter(
            organization=organization, kind=kind, status=SyncRun.Status.RUNNING
        ).first()
        if running:
            return running
    last = (
        SyncRun.objects.filter(organization=organization, kind=kind)
        .exclude(cursor="")
        .order_by("-started_at", "-id")
        .first()
    )
    return SyncRun.objects.create(
        organization=organization,
        kind=kind,
        cursor=last.cursor if last else "",
        triggered_by=by,
    )


def latest_sync_run(organization, kind: str) -> SyncRun | None:
    return SyncRun.objects.filter(organization=organization, kind=kind).first()


class SyncCounter:
    """Counts outcomes on `run` and saves progress every `every` rows."""

    def __init__(self, run: SyncRun, every: int = 25):
        self.run = run
        self.every = every

    def count(self, outcome: str) -> None:
        setattr(self.run, outcome, getattr(self.run, outcome) + 1)
        self.run.processed += 1
        if self.run.processed % self.every == 0:
            self.run.save(update_fields=["processed", "created", "updated", "unchanged", "total"])
