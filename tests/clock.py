"""Instants for tests that must pass whenever they run: at 00:40 in New York, on the last day
of a month, on a DST day, an hour into a slow run. Take "now" inside the test (never at
import), and put readings that must fall on distinct local days at local noon of past days —
never "now minus n × 24 h", which lands on another local day near midnight and on a DST day.
`pytest --fake-now=INSTANT` runs the suite at a chosen instant to check this (README).

`freeze` pins `django.utils.timezone.now()` to one instant (whole seconds) for the rest of a
test, so "now + 1 day" is exactly the edge however slow the run."""

import datetime as dt

from django.utils import timezone


def freeze(monkeypatch, at: dt.datetime | None = None) -> dt.datetime:
    at = at or timezone.now().replace(microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: at)
    return at


def iso_z(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def local_day(instant: dt.datetime, tz) -> dt.date:
    return instant.astimezone(tz).date()


def local_time(day: dt.date, tz, hour=12, minute=0) -> dt.datetime:
    """`day` at hour:minute on the wall clock in `tz`, as an aware UTC instant (noon by
    default: never in a DST gap, never near another day)."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz).astimezone(dt.UTC)


def noon_days_ago(days: int, tz, now: dt.datetime | None = None) -> dt.datetime:
    """Local noon `days` (≥ 1, so always in the past) local days before today in `tz`."""
    if days < 1:
        raise ValueError("noon today may be in the future; use days >= 1")
    today = local_day(now or timezone.now(), tz)
    return local_time(today - dt.timedelta(days=days), tz)
