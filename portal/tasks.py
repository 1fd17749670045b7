from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from portal.models import SyncRun

STALE_AFTER = timedelta(hours=2)


@shared_task(acks_late=True)
def sync_runs_expire_stale() -> int:
    """A worker killed mid-sync leaves its SyncRun 'running' forever; mark those failed so the
    pages stop showing progress and the next run resumes from the saved cursor."""
    cutoff = timezone.now() - STALE_AFTER
    stale = SyncRun.objects.filter(status=SyncRun.Status.RUNNING, started_at__lt=cutoff)
    count = 0
    for run in stale:
        run.finish(error="Worker stopped before the run finished; the next run resumes from here.")
        count += 1
    return count
