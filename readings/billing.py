"""RPM billing rules for 2026 (CMS Physician Fee Schedule CY2026), in one place.

Every rule is defined here once, in Python: the codes are pure functions over plain data, so
each rule and edge has a table-driven test (tests/readings/test_billing_rules.py), and the
rules the database must apply to select evidence are here too, as functions that build the
ORM expression (`*_expression`, `device_data`); the care selectors import them and never write
their own. Where each rule lives:

  rule                         Python                ORM (selectors)            PL/pgSQL (care 0003)
  a reading's day              reading_day           reading_day_expression     care_local_day
  device data (not manual)     —                     device_data                NOT r.manual
  a device day                 reading_day of a      device_day_expression      care_day_bit,
                               device reading                                   care_roster_refresh
  the episode's first day      episode_start         episode_start_expression   care_roster_refresh
  the 30-day period            period_bounds,        period_start_expression    care_roster_refresh,
                               periods_ending_in                                care_day_bit
  the calendar month of time   month_bounds          —                          care_roster_refresh,
                                                                                care_roster_minutes_*
  days and minutes per code    the constants below,  the constants below        —
                               device_supply_codes,
                               management_codes

The PL/pgSQL functions (readings/care/migrations/0003_roster_state.py) maintain the roster's
state on PostgreSQL; each names, in a comment, the Python function it mirrors, and the tests
compare the state with the ORM computation (tests/care/test_roster_state.py). SQLite (the demo)
has no zone arithmetic: there the expressions use the offset sent with a reading, else UTC.

Device supply, per 30-day period of an episode of monitoring:
  99453  set-up and patient education: once per episode, when the episode's first period has
         at least 2 days of device data (the 2026 rule lowered this from 16 to 2 days).
  99445  2–15 days with device data in the 30-day period.
  99454  16–30 days with device data in the 30-day period. Never both 99445 and 99454.
  Manual readings (typed by staff or the patient) are not device data and never count.
  A "day" is a calendar day in the patient's time zone.

Treatment management, per calendar month (clinical staff / physician / QHP time):
  99470  first 10 minutes (10–19 min) with at least one real-time interactive communication
         with the patient or caregiver in the month; not billed with 99457.
  99457  first 20 minutes, with at least one interactive communication in the month.
  99458  each additional full 20 minutes beyond the first 20 (add-on to 99457).
  99091  30 minutes of physician/QHP data interpretation in a 30-day period; not billed with
         99457/99458 for the same month (99457/99458 take precedence when both qualify,
         as their combined value is higher — decision recorded here).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import DateField, DateTimeField, F, Func, Q, Value
from django.db.models.functions import Coalesce

from portal import dates

PERIOD_DAYS = 30
SETUP_MIN_DAYS = 2
SHORT_SUPPLY_MIN_DAYS = 2  # 99445
FULL_SUPPLY_MIN_DAYS = 16  # 99454
MGMT_SHORT_MINUTES = 10  # 99470
MGMT_FIRST_MINUTES = 20  # 99457
MGMT_ADDON_MINUTES = 20  # 99458 per unit
INTERPRETATION_MINUTES = 30  # 99091


@dataclass(frozen=True)
class CodeLine:
    code: str
    units: int = 1
    reason: str = ""


@dataclass(frozen=True)
class CareTime:
    """One time-log entry, as the rules see it."""

    day: dt.date
    minutes: int
    interactive: bool = False
    interpretation: bool = False  # physician/QHP data interpretation (99091), not management


# --- days -----------------------------------------------------------------------------------
def reading_day(instant: dt.datetime, zone: dt.tzinfo, offset: int | None = None) -> dt.date:
    """The calendar day of a reading, as staff see it: in the patient's offset sent with the
    reading (seconds) when there is one, else in the patient's time zone (Reading.local_day)."""
    if offset is not None:
        zone = dt.timezone(dt.timedelta(seconds=offset))
    return dates.local_date(instant, zone)


class LocalDay(Func):
    """reading_day in SQL: the offset when there is one, else the IANA zone. PostgreSQL does
    the zone arithmetic (DST included); SQLite (the demo) uses the offset, else UTC."""

    output_field = DateField()

    def __init__(self, instant, zone, offset=None):
        args = [instant, zone] + ([offset] if offset is not None else [])
        super().__init__(*args)

    def as_postgresql(self, compiler, connection, **extra):
        parts = [compiler.compile(e) for e in self.source_expressions]
        (i, ip), (z, zp) = parts[0], parts[1]
        if len(parts) == 2:
            return f"(({i}) AT TIME ZONE ({z}))::date", [*ip, *zp]
        o, op = parts[2]
        sql = (
            f"(CASE WHEN ({o}) IS NULL THEN (({i}) AT TIME ZONE ({z})) "
            f"ELSE (({i}) AT TIME ZONE 'UTC') + ({o}) * INTERVAL '1 second' END)::date"
        )
        return sql, [*op, *ip, *zp, *ip, *op]

    def as_sqlite(self, compiler, connection, **extra):
        parts = [compiler.compile(e) for e in self.source_expressions]
        (i, ip) = parts[0]
        if len(parts) == 2:
            return f"date({i})", [*ip]
        o, op = parts[2]
        return f"date({i}, COALESCE({o}, 0) || ' seconds')", [*ip, *op]


def _instant(value):
    if isinstance(value, dt.datetime):
        return Value(value, output_field=DateTimeField())
    return value


def reading_day_expression(instant, zone, offset=None) -> Func:
    """reading_day as an ORM expression. `instant` an expression or an aware datetime (the
    patient's today is reading_day_expression(now, F("time_zone"))); without `offset`, the
    day in the zone."""
    return LocalDay(_instant(instant), zone, offset)


def device_data() -> Q:
    """The readings that are device data: manual readings (typed by staff or the patient)
    never count (CMS)."""
    return Q(manual=False)


def device_day_expression(zone) -> Func:
    """The day a device reading counts for (filter with device_data()): its reading_day, on
    a Reading queryset; `zone` the patient's zone (F("patient__time_zone"), an OuterRef)."""
    return reading_day_expression(F("measured_at"), zone, F("patient_tz_offset"))


def local_days(instants: Iterable[dt.datetime], time_zone: str) -> set[dt.date]:
    """Calendar days, in the patient's time zone, on which these (aware, UTC) instants fall."""
    zone = zoneinfo.ZoneInfo(time_zone)
    return {instant.astimezone(zone).date() for instant in instants}


# --- the episode and its 30-day periods -------------------------------------------------------
def episode_start(
    started_on: dt.date | None, first_device_at: dt.datetime | None, zone: dt.tzinfo
) -> dt.date | None:
    """The episode's first day: the date set on the patient, else the day (in the patient's
    zone) of the first device reading (decision: an episode starts with its first device
    data); None before either."""
    if started_on is not None:
        return started_on
    if first_device_at is None:
        return None
    return dates.local_date(first_device_at, zone)


def episode_start_expression(started_on, first_device_at, zone) -> Func:
    """episode_start as an ORM expression (`first_device_at` a subquery of the first device
    reading's instant)."""
    return Coalesce(started_on, LocalDay(_instant(first_device_at), zone))


def period_bounds(episode_start: dt.date, day: dt.date) -> tuple[dt.date, dt.date]:
    """The 30-day period of the episode that contains `day`: (first day, last day) inclusive."""
    if day < episode_start:
        raise ValueError("day is before the episode started")
    index = (day - episode_start).days // PERIOD_DAYS
    first = episode_start + dt.timedelta(days=index * PERIOD_DAYS)
    return first, first + dt.timedelta(days=PERIOD_DAYS - 1)


class PeriodStart(Func):
    """period_bounds' first day in SQL."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra):
        (s, sp), (t, tp) = (compiler.compile(e) for e in self.source_expressions)
        return (
            f"(({s}) + (GREATEST(({t}) - ({s}), 0) / {PERIOD_DAYS}) * {PERIOD_DAYS})",
            [*sp, *tp, *sp, *sp],
        )

    def as_sqlite(self, compiler, connection, **extra):
        (s, sp), (t, tp) = (compiler.compile(e) for e in self.source_expressions)
        return (
            f"date({s}, (MAX(CAST(julianday({t}) - julianday({s}) AS INTEGER), 0) "
            f"/ {PERIOD_DAYS} * {PERIOD_DAYS}) || ' days')",
            [*sp, *tp, *sp],
        )


def period_start_expression(episode_start, today) -> Func:
    """The first day of the episode's 30-day period that holds `today` (period_bounds), as an
    ORM expression; a `today` before the episode gives the episode's first day."""
    return PeriodStart(episode_start, today)


def periods_ending_in(episode_start: dt.date, month: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The episode's 30-day periods that end in `month`: each period is reported once, in the
    month it completes (decision: a month of 28–31 days holds 0, 1 or 2 period ends)."""
    first, last = month_bounds(month)
    out = []
    index = max(0, (first - episode_start).days // PERIOD_DAYS - 1)
    while True:
        # Clamped: an episode start stored near year 9999 must not overflow the page.
        start = dates.add_days(episode_start, index * PERIOD_DAYS)
        if start > last:
            break
        end = dates.add_days(start, PERIOD_DAYS - 1)
        if first <= end <= last:
            out.append((start, end))
        index += 1
    return out


def device_supply_codes(
    days_with_data: set[dt.date], period: tuple[dt.date, dt.date], *, first_period: bool
) -> list[CodeLine]:
    """99453 / 99445 / 99454 for one 30-day period, from the days with device data."""
    first, last = period
    count = sum(1 for d in days_with_data if first <= d <= last)
    lines = []
    if first_period and count >= SETUP_MIN_DAYS:
        lines.append(CodeLine("99453", reason=f"episode set-up; {count} days of data"))
    if count >= FULL_SUPPLY_MIN_DAYS:
        lines.append(CodeLine("99454", reason=f"{count} days with device data (16–30)"))
    elif count >= SHORT_SUPPLY_MIN_DAYS:
        lines.append(CodeLine("99445", reason=f"{count} days with device data (2–15)"))
    return lines


# --- the month's care time ---------------------------------------------------------------------
def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month holding `month`: (first day, last day). Care minutes count per
    calendar month of the day logged (the patient's local day)."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass
class MonthTime:
    management_minutes: int = 0
    interpretation_minutes: int = 0
    interactive: bool = False
    entries: list[CareTime] = field(default_factory=list)


def month_time(entries: Iterable[CareTime], month: dt.date) -> MonthTime:
    """Sum one calendar month's entries (`month` is any day of it)."""
    total = MonthTime()
    for entry in entries:
        if (entry.day.year, entry.day.month) != (month.year, month.month):
            continue
        total.entries.append(entry)
        if entry.interpretation:
            total.interpretation_minutes += entry.minutes
        else:
            total.management_minutes += entry.minutes
            total.interactive = total.interactive or entry.interactive
    return total


def management_codes(time: MonthTime) -> list[CodeLine]:
    """99470 / 99457 / 99458 / 99091 for one calendar month of logged time."""
    minutes = time.management_minutes
    lines: list[CodeLine] = []
    if time.interactive and minutes >= MGMT_FIRST_MINUTES:
        lines.append(CodeLine("99457", reason=f"{minutes} min with an interactive call"))
        addon = (minutes - MGMT_FIRST_MINUTES) // MGMT_ADDON_MINUTES
        if addon:
            lines.append(CodeLine("99458", units=addon, reason=f"{addon} × 20 more minutes"))
    elif time.interactive and minutes >= MGMT_SHORT_MINUTES:
        lines.append(CodeLine("99470", reason=f"{minutes} min with an interactive call"))
    if time.interpretation_minutes >= INTERPRETATION_MINUTES and not any(
        line.code in ("99457", "99458") for line in lines
    ):
        lines.append(
            CodeLine("99091", reason=f"{time.interpretation_minutes} min of interpretation")
        )
    return lines


def shortfall(time: MonthTime) -> str:
    """What is missing for the next management code, for the roster and the report."""
    minutes = time.management_minutes
    if minutes < MGMT_SHORT_MINUTES:
        need = MGMT_SHORT_MINUTES - minutes
        return f"{need} more minute{'s' if need != 1 else ''} for 99470"
    if not time.interactive:
        return "an interactive call with the patient or caregiver is needed"
    if minutes < MGMT_FIRST_MINUTES:
        need = MGMT_FIRST_MINUTES - minutes
        return f"{need} more minute{'s' if need != 1 else ''} for 99457"
    next_unit = MGMT_FIRST_MINUTES + MGMT_ADDON_MINUTES * (
        (minutes - MGMT_FIRST_MINUTES) // MGMT_ADDON_MINUTES + 1
    )
    return f"{next_unit - minutes} more minutes for another 99458"
