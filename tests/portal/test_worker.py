"""A real Celery worker (prefork, Redis broker) runs the portal's tasks against PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import SyncRun
from portal.tasks import sync_runs_expire_stale
from tests.conftest import wait_for

pytestmark = pytest.mark.worker


def test_worker_marks_stale_sync_runs_failed(celery_worker_process, org):
    stale = SyncRun.objects.create(
        organization=org, kind="impilo.devices", started_at=timezone.now() - timedelta(hours=3)
    )
    fresh = SyncRun.objects.create(organization=org, kind="impilo.devices")
    sync_runs_expire_stale.delay()
    wait_for(
        lambda: SyncRun.objects.get(pk=stale.pk).status == SyncRun.Status.FAILED,
        message="the worker to expire the stale run",
    )
    assert SyncRun.objects.get(pk=fresh.pk).status == SyncRun.Status.RUNNING
    assert "resumes" in SyncRun.objects.get(pk=stale.pk).errors[0]
