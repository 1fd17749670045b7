"""The appointments suite's Solo fixtures (account, patient, rooms, booking), reused here."""

from tests.appointments.conftest import (  # noqa: F401
    _solo_webhooks_drained,
    book,
    rooms,
    solo_account,
    solo_patient,
)
