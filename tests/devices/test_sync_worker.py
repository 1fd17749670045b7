"""The inventory sync on a real Celery worker (its own module: the worker needs committed data,
tests/devices/test_sync.py's other tests share one demo load in a transaction)."""

import pytest

from devices.sync import SYNC_KIND
from devices.tasks import devices_sync_run
from portal.models import Organization, SyncRun
from portal.sandbox import world as demo
from portal.sync import sync_run_start
from tests.conftest import wait_for
from tests.devices.conftest import load_demo_data


@pytest.mark.django_db(transaction=True)
def test_sync_runs_on_a_real_worker(sandbox_url, celery_worker_process):
    load_demo_data(sandbox_url)
    demo_org = Organization.objects.get(slug=demo.ORG_SLUG)
    run = sync_run_start(organization=demo_org, kind=SYNC_KIND, join_running=True)
    devices_sync_run.delay(run.pk)
    wait_for(
        lambda: SyncRun.objects.get(pk=run.pk).status != SyncRun.Status.RUNNING,
        timeout=60,
        message="the worker to finish the sync",
    )
    run.refresh_from_db()
    assert (run.status, run.created, run.updated) == (SyncRun.Status.SUCCEEDED, 0, 0)
