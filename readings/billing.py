"""RPM billing rules for 2026 (CMS Physician Fee Schedule CY2026), in one place.

Pure functions over plain data, so every rule and edge has a table-driven test
(tests/readings/test_billing_rules.py) and the report page only gathers the evidence.

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

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

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


def local_days(instants: Iterable[dt.datetime], time_zone: str) -> set[dt.date]:
    """Calendar days, in the patient's time zone, on which these (aware, UTC) instants fall."""
    zone = zoneinfo.ZoneInfo(time_zone)
    return {instant.astimezone(zone).date() for instant in instants}


def period_bounds(episode_start: dt.date, day: dt.date) -> tuple[dt.date, dt.date]:
    """The 30-day period of the episode that contains `day`: (first day, last day) inclusive."""
    if day < episode_start:
        raise ValueError("day is before the episode started")
    index = (day - episode_start).days // PERIOD_DAYS
    first = episode_start + dt.timedelta(days=index * PERIOD_DAYS)
    return first, first + dt.timedelta(days=PERIOD_DAYS - 1)


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
