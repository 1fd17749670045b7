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
  billable management time     time_counts_toward,   management_time            care_month_minutes
                               whole_minutes
  days and minutes per code    the constants below,  the constants below        —
                               device_supply_codes,
                               management_codes,
                               interpretation_period

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

Treatment management, per calendar month (the named person's time: clinical staff or a
physician/QHP; Membership.may_bill_management). Time is stored in seconds; a month's billable
minutes are the sum of its billable entries' seconds, then whole minutes rounded down:
  99470  10–19 minutes with at least one real-time interactive communication (a call or video
         visit, or a Solo visit that happened) with the patient or caregiver in the month;
         never with 99457. Secure messages are not interactive communication.
  99457  the first 20 minutes, with an interactive communication in the month.
  99458  each further full 20 minutes beyond the first 20 (add-on to 99457).
  Minutes of a visit billed separately as an office visit never count (staff say so).
Physician/QHP interpretation, per 30-day period of the episode (reported in the month the
period ends, as the device codes):
  99091  at least 30 minutes of physician/QHP data interpretation summed over the period;
         not billed for a period that touches a calendar month billed with 99457/99458 or
         99470 (the management codes take precedence; 99470 is the portal's reading of the
         2026 rules, see the README).
What each entry counts toward is decided in Python when it is logged (time_counts_toward)
and stored (TimeEntry.counts_toward); the roster's PL/pgSQL minutes read that column.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, DateField, F, Func, Q, Value, When
from django.db.models.functions import Coalesce

from portal import dates
from portal.models import Role
from readings.billing_sql import LocalDay, PeriodStart, instant_value

PERIOD_DAYS = 30
SETUP_MIN_DAYS = 2
SHORT_SUPPLY_MIN_DAYS = 2  # 99445
FULL_SUPPLY_MIN_DAYS = 16  # 99454
MGMT_SHORT_MINUTES = 10  # 99470
MGMT_FIRST_MINUTES = 20  # 99457
MGMT_ADDON_MINUTES = 20  # 99458 per unit
INTERPRETATION_MINUTES = 30  # 99091

# Care time (seconds). A timer stopped sooner logs nothing (a start/stop by mistake); one
# patient's time on one day above DAY_REASON_SECONDS needs a reason, above DAY_MAX_SECONDS
# it is refused (a day has 24 hours).
MIN_ENTRY_SECONDS = 60
DAY_REASON_SECONDS = 120 * 60
DAY_MAX_SECONDS = 24 * 60 * 60

# What an entry's seconds count toward (TimeEntry.counts_toward, decided by
# time_counts_toward when it is logged).
MANAGEMENT = "management"  # 99470 / 99457 / 99458
INTERPRETATION = "interpretation"  # 99091
NOT_BILLABLE = "none"


@dataclass(frozen=True)
class CodeLine:
    code: str
    units: int = 1
    reason: str = ""


@dataclass(frozen=True)
class CareTime:
    """One time-log entry, as the rules see it: its seconds, what they count toward
    (time_counts_toward) and whether it was a real-time interactive contact."""

    day: dt.date
    seconds: int
    counts: str = MANAGEMENT
    contact: bool = False


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


def reading_day_expression(instant, zone) -> Func:
    """The day of `instant` (an expression or an aware datetime) in `zone`, on PostgreSQL: the
    patient's today is reading_day_expression(now, F("time_zone"))."""
    return LocalDay(instant_value(instant), zone)


@functools.cache
def _zones() -> tuple[zoneinfo.ZoneInfo, ...]:
    return tuple(zoneinfo.ZoneInfo(z) for z in sorted(zoneinfo.available_timezones()))


def today_expression(now: dt.datetime, field: str = "time_zone") -> Case:
    """The patient's today on any database, without zone arithmetic in SQL: `now`'s day in
    every IANA zone (a patient's zone is one: portal.models.validate_time_zone), computed in
    Python and grouped by day (two or three at any instant), chosen by the patient's zone.
    The day most zones are on is the CASE's default and only the others' zones are listed: the
    same days with about a quarter of the ~600 names (the roster and worklists carry this
    expression once or twice a query, on every staff page's worklist counts)."""
    by_day: dict[dt.date, list[str]] = {}
    for zone in _zones():
        by_day.setdefault(dates.local_date(now, zone), []).append(zone.key)
    most = max(by_day, key=lambda day: len(by_day[day]))
    whens = [
        When(**{f"{field}__in": names}, then=Value(day))
        for day, names in by_day.items()
        if day != most
    ]
    return Case(*whens, default=Value(most), output_field=DateField())


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


def period_start_expression(episode_start, today) -> Func:
    """The first day of the episode's 30-day period that holds `today` (period_bounds), as an
    ORM expression; a `today` before the episode gives the episode's first day."""
    return PeriodStart(episode_start, today, PERIOD_DAYS)


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


def months_overlapping(period: tuple[dt.date, dt.date]) -> list[dt.date]:
    """The first days of the calendar months a 30-day period touches (two, or three when it
    starts on the 31st before a February)."""
    first, last = period
    out, month = [], first.replace(day=1)
    while month <= last:
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def whole_minutes(seconds: int) -> int:
    """Billable minutes of summed seconds: whole minutes, rounded down, never up (CMS counts
    time actually spent; a started minute is not a minute)."""
    return seconds // 60


def time_counts_toward(
    *, interpretation: bool, performer_role: str, may_bill_management: bool, office_visit: bool
) -> tuple[str, str]:
    """What an entry's seconds count toward, and why not when they count toward nothing.
    Decided when the entry is logged (and again when it is edited) from who did the work:
    `performer_role` is the Role value of the named person ("" when nobody is named),
    `may_bill_management` their Membership.may_bill_management at that time."""
    if office_visit:
        return NOT_BILLABLE, "billed separately as an office visit: not RPM time"
    if not performer_role:
        return NOT_BILLABLE, "no person named: whose time this was is unknown"
    if interpretation:
        if performer_role == Role.PHYSICIAN:
            return INTERPRETATION, ""
        return NOT_BILLABLE, "interpretation bills 99091 only for a physician/QHP"
    if may_bill_management:
        return MANAGEMENT, ""
    return NOT_BILLABLE, "not clinical staff: management time bills only for clinical staff"


def management_time() -> Q:
    """The time entries whose seconds count toward 99470/99457/99458 (ORM, on TimeEntry; the
    PL/pgSQL roster functions read the same stored column)."""
    return Q(deleted_at__isnull=True, counts_toward=MANAGEMENT)


@dataclass
class MonthTime:
    management_seconds: int = 0
    interpretation_seconds: int = 0
    not_billable_seconds: int = 0
    interactive: bool = False
    entries: list[CareTime] = field(default_factory=list)

    @property
    def management_minutes(self) -> int:
        return whole_minutes(self.management_seconds)

    @property
    def interpretation_minutes(self) -> int:
        return whole_minutes(self.interpretation_seconds)

    @property
    def not_billable_minutes(self) -> int:
        return whole_minutes(self.not_billable_seconds)


def month_time(
    entries: Iterable[CareTime], month: dt.date, visit_days: Iterable[dt.date] = ()
) -> MonthTime:
    """Sum one calendar month's entries (`month` is any day of it). The interactive
    communication is a contact entry (a real-time call or visit) or a Solo visit that
    happened (`visit_days`, patient-local) in the month."""
    total = MonthTime()
    same = (month.year, month.month)
    for entry in entries:
        if (entry.day.year, entry.day.month) != same:
            continue
        total.entries.append(entry)
        total.interactive = total.interactive or entry.contact
        if entry.counts == MANAGEMENT:
            total.management_seconds += entry.seconds
        elif entry.counts == INTERPRETATION:
            total.interpretation_seconds += entry.seconds
        else:
            total.not_billable_seconds += entry.seconds
    total.interactive = total.interactive or any((d.year, d.month) == same for d in visit_days)
    return total


def management_codes(time: MonthTime) -> list[CodeLine]:
    """99470 / 99457 / 99458 for one calendar month of billable management time."""
    minutes = time.management_minutes
    lines: list[CodeLine] = []
    if time.interactive and minutes >= MGMT_FIRST_MINUTES:
        lines.append(CodeLine("99457", reason=f"{minutes} min with an interactive contact"))
        addon = (minutes - MGMT_FIRST_MINUTES) // MGMT_ADDON_MINUTES
        if addon:
            lines.append(CodeLine("99458", units=addon, reason=f"{addon} × 20 more minutes"))
    elif time.interactive and minutes >= MGMT_SHORT_MINUTES:
        lines.append(CodeLine("99470", reason=f"{minutes} min with an interactive contact"))
    return lines


@dataclass(frozen=True)
class InterpretationPeriod:
    """99091 for one 30-day period: its physician/QHP interpretation time and the outcome."""

    first: dt.date
    last: dt.date
    seconds: int
    code: CodeLine | None
    reason: str

    @property
    def minutes(self) -> int:
        return whole_minutes(self.seconds)


def interpretation_period(
    entries: Iterable[CareTime],
    period: tuple[dt.date, dt.date],
    management_months: Iterable[dt.date],
) -> InterpretationPeriod:
    """99091 for one of the episode's 30-day periods: at least 30 whole minutes of
    physician/QHP interpretation summed over the period's days, and no calendar month the
    period touches billed with 99470/99457/99458 (`management_months`: first days of the
    months whose management_codes are not empty; those codes take precedence)."""
    first, last = period
    seconds = sum(
        e.seconds for e in entries if e.counts == INTERPRETATION and first <= e.day <= last
    )
    minutes = whole_minutes(seconds)
    if minutes < INTERPRETATION_MINUTES:
        need = INTERPRETATION_MINUTES - minutes
        return InterpretationPeriod(first, last, seconds, None, f"{need} more min for 99091")
    clash = sorted(set(management_months) & set(months_overlapping(period)))
    if clash:
        names = ", ".join(f"{m:%b %Y}" for m in clash)
        return InterpretationPeriod(
            first, last, seconds, None, f"not billed: {names} billed with 99470/99457/99458"
        )
    code = CodeLine("99091", reason=f"{minutes} min of physician/QHP interpretation")
    return InterpretationPeriod(first, last, seconds, code, "")


def shortfall(time: MonthTime) -> str:
    """What is missing for the next management code, for the roster and the report."""
    minutes = time.management_minutes
    if minutes < MGMT_SHORT_MINUTES:
        need = MGMT_SHORT_MINUTES - minutes
        return f"{need} more minute{'s' if need != 1 else ''} for 99470"
    if not time.interactive:
        return "a real-time call or visit with the patient or caregiver is needed"
    if minutes < MGMT_FIRST_MINUTES:
        need = MGMT_FIRST_MINUTES - minutes
        return f"{need} more minute{'s' if need != 1 else ''} for 99457"
    next_unit = MGMT_FIRST_MINUTES + MGMT_ADDON_MINUTES * (
        (minutes - MGMT_FIRST_MINUTES) // MGMT_ADDON_MINUTES + 1
    )
    return f"{next_unit - minutes} more minutes for another 99458"
