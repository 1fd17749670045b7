"""The test rig itself: what one thread or test leaves in the process never reaches another."""

import threading

import pytest
from celery.result import denied_join_result

from portal import tasks


@pytest.mark.django_db
def test_an_eager_task_running_in_another_thread_does_not_block_result_get_here():
    # A live-server thread running an eager task (a Solo webhook, a sandbox callback) marks
    # "inside a task" while the test thread waits on its own eager result.
    inside, release = threading.Event(), threading.Event()

    def server_thread():
        with denied_join_result():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=server_thread)
    thread.start()
    try:
        assert inside.wait(10)
        assert tasks.sync_runs_expire_stale.delay().get() == 0
    finally:
        release.set()
        thread.join(10)


def test_overlapping_eager_tasks_in_two_threads_leave_no_flag_behind():
    # A enters, B enters, A leaves, B leaves: with one process-wide flag, B restores the value
    # it saw on entry (A's "inside"), and every later .get() in the process raises.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with denied_join_result():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with denied_join_result():
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    from celery._state import task_join_will_block

    assert task_join_will_block() is False


def test_each_parallel_worker_has_its_own_redis_database(settings):
    """bin/run-tests runs the suite on several pytest-xdist workers against one Redis: each
    worker's cache and Celery broker use the database tests/xdist_redis.py gave it (gwN uses
    N+1), so one worker's cache flush never empties another's."""
    import os

    from portal.celery import app

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not settings.REDIS_URL:
        pytest.skip("runs under make test's parallel pass (xdist workers with Redis)")
    database = str(int(worker.removeprefix("gw")) + 1)
    assert settings.REDIS_URL.rsplit("/", 1)[1] == database
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
    assert app.conf.broker_url == settings.REDIS_URL
    assert os.environ["REDIS_URL"] == settings.REDIS_URL  # what a real Celery worker inherits
