"""Fixtures reused from other suites: the readings BP cuff; Solo account, patient, rooms and
booking from the appointments suite."""

import pytest

from tests.appointments.conftest import (  # noqa: F401
    _solo_webhooks_drained,
    book,
    rooms,
    solo_account,
    solo_patient,
)
from tests.readings.conftest import cuff  # noqa: F401


@pytest.fixture(autouse=True)
def _celery_join_flag_reset():
    """Celery's eager apply_async marks "inside a task" in one process-wide flag, set and
    restored without a lock: concurrent eager tasks (the live server's threads under the
    webhook flood) can leave it set, and every later `.get()` on an eager result in this
    process would then raise "Never call result.get() within a task!"."""
    yield
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)
