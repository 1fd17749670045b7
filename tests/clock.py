"""A frozen clock for boundary tests: `django.utils.timezone.now()` answers one instant (whole
seconds) for the rest of the test, so "now + 1 day" is exactly the edge however slow the run."""

import datetime as dt

from django.utils import timezone


def freeze(monkeypatch, at: dt.datetime | None = None) -> dt.datetime:
    at = at or timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: at)
    return at


def iso_z(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
