"""The plausible range of every date and time a client or staff member can send, in one place,
and overflow-safe arithmetic for showing what is already stored.

Why: Python's dates stop at the years 1 and 9999. A far-off value that is accepted and stored
overflows later — in a visit's end time, a 30-day billing period, a conversion to local time —
and takes a whole organization's pages down. So every date and time from outside (API bodies
and query parameters, page forms and query parameters) is checked against its range here,
before anything is stored or sent to a vendor; and the code that renders stored values uses
the clamped arithmetic at the bottom, so rows stored before these checks still render.

The ranges (README "Dates and times accepted" lists the same):
- a reading's time (Impilo `readingTimestamp`, patient-graph `recorded_at`, Validic
  `start_time`, a manual reading): from 2000-01-01T00:00Z to one day after now (device clocks
  run ahead; a local time sent as UTC is up to 14 hours ahead);
- a visit (book, reschedule, the day of a slot search): not in the past, at most 365 days ahead;
- a monitoring start (`monitoring_started_on`): 2000-01-01 to 365 days after today;
- a birth date: 1900-01-01 to today;
- a time-log day: from 2000-01-01 (the time log refuses the patient's future);
- a billing month: 2000-01 to 2100-12;
- query filters and report ranges (`from`, `to`, `day`, `week`, `month`, `start`, `end`; Solo
  report and episode dates; other instants in vendor-shaped records, e.g. Validic
  `created_at`): 2000-01-01 to 2100-12-31 (instants up to 2101-01-01T00:00Z).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.api_helpers import ApiError

EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)
EARLIEST_BIRTH_DAY = dt.date(1900, 1, 1)
EARLIEST_INSTANT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_INSTANT = dt.datetime(2101, 1, 1, tzinfo=dt.UTC)
READING_AHEAD = dt.timedelta(days=1)
VISIT_AHEAD = dt.timedelta(days=365)
MONITORING_AHEAD = dt.timedelta(days=365)


class DateRefused(ValueError):
    """A date or time that is unreadable or outside its range; the message says which."""


@dataclass(frozen=True)
class Span:
    """A closed range of dates (or of aware instants). The bounds are functions, so "now" is
    read at each check; `text` finishes the sentence "must be …"."""

    low: Callable[[], Any]
    high: Callable[[], Any]
    text: str

    def check(self, value):
        """`value`, or DateRefused. Aware instants compare without converting, so a value near
        year 1 or 9999 in any offset is refused, never an OverflowError."""
        if value < self.low() or value > self.high():
            raise DateRefused(f"Must be {self.text}.")
        return value

    def validate(self, value) -> None:
        """A validator for DRF serializer fields and Django form fields alike."""
        try:
            self.check(value)
        except DateRefused as exc:
            raise ValidationError(str(exc), code="out_of_range") from None


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localdate()


READING_TIME = Span(
    lambda: EARLIEST_INSTANT,
    lambda: _now() + READING_AHEAD,
    "between 2000-01-01T00:00:00Z and one day from now",
)
VISIT_START = Span(_now, lambda: _now() + VISIT_AHEAD, "in the future and at most 365 days ahead")
MONITORING_START = Span(
    lambda: EARLIEST_DAY,
    lambda: _today() + MONITORING_AHEAD,
    "between 2000-01-01 and 365 days from today",
)
BIRTH_DATE = Span(lambda: EARLIEST_BIRTH_DAY, _today, "between 1900-01-01 and today")
# The time log itself refuses a day after the patient's today (their time zone, not ours).
CARE_DAY = Span(lambda: EARLIEST_DAY, lambda: dt.date.max, "on or after 2000-01-01")
QUERY_DAY = Span(lambda: EARLIEST_DAY, lambda: LATEST_DAY, "between 2000-01-01 and 2100-12-31")
QUERY_INSTANT = Span(
    lambda: EARLIEST_INSTANT,
    lambda: LATEST_INSTANT,
    "between 2000-01-01T00:00:00Z and 2101-01-01T00:00:00Z",
)


def visit_day_problem(day: dt.date, today: dt.date) -> str | None:
    """Why free slots cannot be shown for `day` (`today` in the patient's zone), or None."""
    if day < today:
        return "That day has passed; pick today or a later day."
    if day > today + VISIT_AHEAD:
        return "Visits can be booked at most 365 days ahead; pick an earlier day."
    return None


# --- parsing query parameters ---------------------------------------------------------------
def parse_day(text: str, span: Span = QUERY_DAY) -> dt.date:
    """A YYYY-MM-DD date within `span` (a `day`, `start` or `end` query parameter)."""
    try:
        value = dt.datetime.fromisoformat(text.strip()).date()
    except (ValueError, TypeError, AttributeError):
        raise DateRefused("Use a date as YYYY-MM-DD.") from None
    return span.check(value)


def parse_instant(text: str, span: Span = QUERY_INSTANT) -> dt.datetime:
    """An ISO 8601 date-time with a UTC offset, within `span` (a `from` or `to` parameter).
    A `+` decoded from a query string as a space is read as `+`."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace(" ", "+"))
    except (ValueError, TypeError, AttributeError):
        raise DateRefused("Use an ISO 8601 date-time with an offset (e.g. …T10:00:00Z).") from None
    if value.tzinfo is None:
        raise DateRefused("Add a UTC offset (e.g. Z).")
    return span.check(value)


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # [0-9]: \d also matches other scripts' digits


def parse_month(text: str) -> dt.date:
    """A YYYY-MM billing month from 2000-01 to 2100-12, as its first day."""
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise DateRefused("Use a month as YYYY-MM.")
    first = dt.date(int(match[1]), int(match[2]), 1)
    if not EARLIEST_DAY <= first <= LATEST_DAY:
        raise DateRefused("Must be a month from 2000-01 to 2100-12.")
    return first


def query_param(params, name: str, parse, default=None, *, status=400, code="invalid_parameter"):
    """API query parameter `name` read with `parse` (parse_day, parse_instant, parse_month), or
    `default` when absent; refused as the API error shape naming the parameter."""
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.strip():
        raise ApiError(status, code, f"{name}: must not be empty.", {name: ["Must not be empty."]})
    try:
        return parse(raw)
    except DateRefused as exc:
        raise ApiError(status, code, f"{name}: {exc}", {name: [str(exc)]}) from None


def from_timestamp(seconds: int, span: Span = QUERY_INSTANT) -> dt.datetime:
    """Unix seconds (a Solo slot) as an aware UTC instant within `span`; checked before
    converting, so a huge number is refused rather than an OverflowError."""
    if not span.low().timestamp() <= seconds <= span.high().timestamp():
        raise DateRefused(f"Must be {span.text}.")
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


# --- showing what is stored: arithmetic that clamps instead of overflowing -------------------
FIRST_INSTANT = dt.datetime.min.replace(tzinfo=dt.UTC)
LAST_INSTANT = dt.datetime.max.replace(tzinfo=dt.UTC)


def add_days(day: dt.date, days: int) -> dt.date:
    """`day` plus `days`, clamped to the dates Python holds."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


def add_time(instant: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """`instant` plus `delta`, clamped to the instants Python holds."""
    try:
        return instant + delta
    except OverflowError:
        return LAST_INSTANT if delta > dt.timedelta(0) else FIRST_INSTANT


def in_zone(instant: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """`instant` in `zone`; an instant whose local time would fall outside years 1–9999 is
    shown in UTC instead (still the true instant, with its offset)."""
    for target in (zone, dt.UTC):
        try:
            return instant.astimezone(target)
        except OverflowError:
            continue
    return instant


def local_date(instant: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return in_zone(instant, zone).date()


def showable(instant: dt.datetime | None) -> dt.datetime | None:
    """`instant` moved at most a day inward from the ends of Python's calendar, so templates
    can show it in any time zone (a zone conversion there would overflow); None stays None."""
    if instant is None:
        return None
    return min(
        max(instant, FIRST_INSTANT + dt.timedelta(days=1)), LAST_INSTANT - dt.timedelta(days=1)
    )
