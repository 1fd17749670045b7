"""Fixtures reused from other suites: the readings BP cuff; Solo account, patient, rooms and
booking from the appointments suite."""

from tests.appointments.conftest import (  # noqa: F401
    _solo_webhooks_drained,
    book,
    rooms,
    solo_account,
    solo_patient,
)
from tests.readings.conftest import cuff  # noqa: F401
