"""RPM billing rules for 2026 (CMS Physician Fee Schedule CY2026), in one place.

Every rule is defined here once, in Python: the codes are pure functions over plain data, so
each rule and edge has a table-driven test (tests/readings/test_billing_rules.py), and the
rules the database must apply to select evidence are here too, as functions that build the
ORM expression (`*_expression`, `device_data`); the care selectors import them and never write
their own. Where each rule lives:

  rule                         Python                ORM (selectors)            PL/pgSQL (care)
  a reading's day + offset     reading_local_day,    the stored Reading         reads the stored
                               decided at ingest     .local_day                 r.local_day
                               (readings.device_days)
  transmitted by a device      transmitted,          device_data (the stored    r.transmitted
                               assigned_patient_at   Reading.transmitted)
  a device day                 the local_day of a    device_day_expression      care_day_bit,
                               transmitted reading                              care_roster_refresh
  the episode's first day      episode_start         episode_start_expression   care_roster_refresh
  the 30-day period            period_bounds,        period_start_expression    care_roster_refresh,
                               periods_ending_in                                care_day_bit
  99453's period               setup_period          —                          —
  the calendar month of time   month_bounds          —                          care_roster_refresh,
                                                                                care_roster_minutes_*
  days and minutes per code    the constants below,  the constants below        —
                               device_supply_codes,
                               management_codes

The PL/pgSQL functions (readings/care/migrations/0003_roster_state.py) maintain the roster's
state on PostgreSQL; each names, in a comment, the Python function it mirrors, and the tests
compare the state with the ORM computation (tests/care/test_roster_state.py). A reading's day,
the offset used and whether a device transmitted it are decided once, in Python, when it is
stored, and kept on the row (Reading.local_day, local_offset, transmitted): SQL only counts
what is stored, so SQLite (the demo) and PostgreSQL give the same figures, and a later change
of the patient's time zone moves no stored day and no period already reported.

Device supply, per 30-day period of an episode of monitoring:
  99453  set-up and patient education: once per episode, in the episode's first 30-day period
         with at least 2 device days (the 2026 rule lowered this from 16 to 2 days); a first
         period with fewer does not lose it.
  99445  2–15 days with device data in the 30-day period.
  99454  16–30 days with device data in the 30-day period. Never both 99445 and 99454.
  Only readings a device transmitted count (`transmitted`): a device linked to the reading,
  assigned to that patient at that instant, not a manual reading, and for Validic a metric
  whose `origin` is "device". A "day" is the reading's stored local day.

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
import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, DateField, DateTimeField, F, Func, Q, Value, When
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
VALIDIC = "validic"  # readings.models.ReadingSource.VALIDIC (models import this module)
DEVICE_ORIGIN = "device"  # Validic's metric `origin` for a value the device measured


def reading_local_day(
    instant: dt.datetime, zone: dt.tzinfo, offset: int | None = None
) -> tuple[dt.date, int]:
    """(the calendar day of a reading as staff see it, the offset in seconds that gave it): the
    patient's offset sent with the reading when there is one, else the patient's time zone at
    that instant (DST included). Decided once, when the reading is stored (Reading.local_day
    and local_offset, readings.device_days): a later change of the zone moves nothing."""
    if offset is not None:
        zone = dt.timezone(dt.timedelta(seconds=offset))
    local = dates.in_zone(instant, zone)
    used = local.utcoffset()
    return local.date(), int(used.total_seconds()) if used is not None else 0


def reading_day(instant: dt.datetime, zone: dt.tzinfo, offset: int | None = None) -> dt.date:
    """The day of reading_local_day."""
    return reading_local_day(instant, zone, offset)[0]


def assigned_patient_at(
    history: Iterable[tuple[dt.datetime, dt.datetime | None, int]],
    instant: dt.datetime,
    current_patient_id: int | None = None,
) -> int | None:
    """The patient a device was assigned to at `instant`, from its assignment history
    ((assigned_at, ended_at or None, patient id), oldest first): the latest assignment begun by
    then, unless it had ended. Before the first recorded assignment, that first one (decision:
    the portal's history of a device begins when it learns of it, and a vendor sync records
    when it saw an assignment, not when the vendor made it). No history: the current patient."""
    history = list(history)
    if not history:
        return current_patient_id
    begun = [a for a in history if a[0] <= instant]
    if not begun:
        return history[0][2]
    _assigned_at, ended_at, patient_id = begun[-1]
    if ended_at is not None and ended_at <= instant:
        return None
    return patient_id


def transmitted(
    *, manual: bool, patient_id: int, device_patient_id: int | None, source: str, origin: str = ""
) -> bool:
    """Whether a reading is device data (CMS: data a device transmitted): not manual, a device
    linked to it that was assigned to this patient at that instant (`device_patient_id`, from
    assigned_patient_at; None without a device), and for Validic, whose metrics say where each
    value came from, `origin` "device". Decided once, when the reading is stored."""
    if manual or device_patient_id is None or device_patient_id != patient_id:
        return False
    return source != VALIDIC or origin == DEVICE_ORIGIN


class LocalDay(Func):
    """The day of an instant in an IANA zone, in SQL (the patient's today on the PostgreSQL
    roster, today_expression elsewhere). Never a reading's day: that one is stored."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra):
        (i, ip), (z, zp) = (compiler.compile(e) for e in self.source_expressions)
        return f"(({i}) AT TIME ZONE ({z}))::date", [*ip, *zp]


def _instant(value):
    if isinstance(value, dt.datetime):
        return Value(value, output_field=DateTimeField())
    return value


def reading_day_expression(instant, zone) -> Func:
    """The day of `instant` (an expression or an aware datetime) in `zone`, on PostgreSQL: the
    patient's today is reading_day_expression(now, F("time_zone"))."""
    return LocalDay(_instant(instant), zone)


@functools.cache
def _zones() -> tuple[zoneinfo.ZoneInfo, ...]:
    return tuple(zoneinfo.ZoneInfo(z) for z in sorted(zoneinfo.available_timezones()))


def today_expression(now: dt.datetime, field: str = "time_zone") -> Case:
    """The patient's today on any database, without zone arithmetic in SQL: `now`'s day in
    every IANA zone (a patient's zone is one: portal.models.validate_time_zone), computed in
    Python and grouped by day (at most three at any instant), chosen by the patient's zone."""
    by_day: dict[dt.date, list[str]] = {}
    for zone in _zones():
        by_day.setdefault(dates.local_date(now, zone), []).append(zone.key)
    whens = [When(**{f"{field}__in": names}, then=Value(day)) for day, names in by_day.items()]
    return Case(*whens, default=Value(now.date()), output_field=DateField())


def device_data(prefix: str = "") -> Q:
    """The readings that are device data: the stored Reading.transmitted (see transmitted);
    `prefix` the path to the readings ("readings__" from a Patient queryset)."""
    return Q(**{f"{prefix}transmitted": True})


def device_day_expression() -> F:
    """The day a device reading counts for (filter with device_data()): its stored local day."""
    return F("local_day")


def local_days(instants: Iterable[dt.datetime], time_zone: str) -> set[dt.date]:
    """Calendar days, in the patient's time zone, on which these (aware, UTC) instants fall."""
    zone = zoneinfo.ZoneInfo(time_zone)
    return {instant.astimezone(zone).date() for instant in instants}


# --- the episode and its 30-day periods -------------------------------------------------------
def episode_start(started_on: dt.date | None, first_device_day: dt.date | None) -> dt.date | None:
    """The episode's first day: the date set on the patient, else the first device day (the
    earliest stored local day of a transmitted reading; decision: an episode starts with its
    first device data); None before either."""
    return started_on if started_on is not None else first_device_day


def episode_start_expression(started_on, first_device_day) -> Func:
    """episode_start as an ORM expression (`first_device_day` a subquery of the earliest
    local_day of the patient's transmitted readings)."""
    return Coalesce(started_on, first_device_day)


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


def setup_period(
    episode_start: dt.date, days_with_data: Iterable[dt.date]
) -> tuple[dt.date, dt.date] | None:
    """The period 99453 is billed in: the episode's first 30-day period with at least
    SETUP_MIN_DAYS device days (once per episode; a first period with fewer does not lose it).
    None while no period has that many."""
    per_period: dict[tuple[dt.date, dt.date], int] = {}
    for day in sorted(set(days_with_data)):
        if day < episode_start:
            continue
        period = period_bounds(episode_start, day)
        per_period[period] = per_period.get(period, 0) + 1
        if per_period[period] >= SETUP_MIN_DAYS:
            return period
    return None


def device_supply_codes(
    days_with_data: set[dt.date], period: tuple[dt.date, dt.date], *, setup: bool
) -> list[CodeLine]:
    """99453 / 99445 / 99454 for one 30-day period, from the days with device data; `setup`:
    this period is the episode's setup_period."""
    first, last = period
    count = sum(1 for d in days_with_data if first <= d <= last)
    lines = []
    if setup and count >= SETUP_MIN_DAYS:
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
