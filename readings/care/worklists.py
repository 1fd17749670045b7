"""The worklists' rules: who needs a nurse this month, and why. Each rule is a small pure
function (for the row's words and the tests) with its ORM twin beside it (for the list's
filter); the tests hold the two to each other. The facts they read are the billing rules'
(readings.billing: the ladder of management codes, 16 device days, the 30-day period) and the
roster's stored counts (readings.care.selectors.roster): nothing here counts a day or a
minute again. The queries are in readings.care.selectors.worklists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, Func, IntegerField, Q, Value, When
from django.db.models.functions import Mod

from readings import billing
from readings.care.protocol_models import AlertProtocol
from readings.models import Severity


@dataclass(frozen=True)
class Worklist:
    slug: str
    title: str
    short: str  # the navigation's label
    why: str  # one line under the title: what puts a patient on the list


CONTACT = Worklist(
    "contact",
    "Needs an interactive contact",
    "Contact",
    "No real-time call or visit with the patient or caregiver yet this month: 99470 and "
    "99457 need one, whatever the minutes. Most minutes first.",
)
MINUTES = Worklist(
    "minutes",
    "Close to the next code",
    "Minutes",
    "Billable minutes this month within reach of the next code (99470 at 10, 99457 at 20, "
    "each 99458 at +20). Closest first.",
)
DEVICE_DAYS = Worklist(
    "device-days",
    "At risk of missing 16 device days",
    "Device days",
    "The days still needed for 16 are at least the days left in the 30-day period minus 2: "
    "call to re-engage. Least slack first.",
)
NO_DATA = Worklist(
    "no-data",
    "No device data for 3 days or more",
    "No data",
    "The last day with device data (not a manual reading) is 3 or more days ago in the "
    "patient's time zone. Longest silent first.",
)
NEVER_SENT = Worklist(
    "never-sent",
    "Devices that never transmitted",
    "Never sent",
    "A device assigned to the patient has sent no device reading for them since it was "
    "assigned. Longest assigned first.",
)
UNCLAIMED = Worklist(
    "unclaimed-alerts",
    "Alerts unclaimed past their limit",
    "Unclaimed",
    "Open alerts nobody has claimed or acknowledged, older than their tier's limit. Critical "
    "first, then the longest waiting.",
)
WORKLISTS = (CONTACT, MINUTES, DEVICE_DAYS, NO_DATA, NEVER_SENT, UNCLAIMED)
BY_SLUG = {w.slug: w for w in WORKLISTS}


# --- minutes from the next management code ----------------------------------------------------
DEFAULT_WITHIN_MINUTES = 10
WITHIN_CHOICES = (5, 10, 15)


def next_management_code(minutes: int) -> tuple[str, int]:
    """(the next management code the month's billable minutes can reach, the minutes still
    needed for it): 99470 at 10, 99457 at 20, then one more 99458 each further 20
    (readings.billing's ladder; the interactive contact is a separate condition)."""
    if minutes < billing.MGMT_SHORT_MINUTES:
        return "99470", billing.MGMT_SHORT_MINUTES - minutes
    if minutes < billing.MGMT_FIRST_MINUTES:
        return "99457", billing.MGMT_FIRST_MINUTES - minutes
    beyond = (minutes - billing.MGMT_FIRST_MINUTES) % billing.MGMT_ADDON_MINUTES
    return "99458", billing.MGMT_ADDON_MINUTES - beyond


def minutes_to_next_code_expression(minutes) -> Case:
    """next_management_code's minutes still needed, as an ORM expression over `minutes`."""
    return Case(
        When(Q(**{f"{minutes}__lt": billing.MGMT_SHORT_MINUTES}),
             then=Value(billing.MGMT_SHORT_MINUTES) - F(minutes)),
        When(Q(**{f"{minutes}__lt": billing.MGMT_FIRST_MINUTES}),
             then=Value(billing.MGMT_FIRST_MINUTES) - F(minutes)),
        default=Value(billing.MGMT_ADDON_MINUTES)
        - Mod(F(minutes) - Value(billing.MGMT_FIRST_MINUTES), Value(billing.MGMT_ADDON_MINUTES)),
        output_field=IntegerField(),
    )  # fmt: skip


# --- at risk of missing 16 device days --------------------------------------------------------
AT_RISK_SLACK = 2  # the "days left minus 2": a patient may miss two more days at most


def period_days_left(period_start: dt.date, today: dt.date) -> int:
    """Days of the 30-day period not yet past, today included."""
    return billing.PERIOD_DAYS - (today - period_start).days


def at_risk_of_missing_16(period_days: int, days_left: int) -> bool:
    """The days still needed for 16 (99454) are at least the days left minus AT_RISK_SLACK, and
    16 can still be reached this period (a patient past that is not re-engaged for it)."""
    needed = billing.FULL_SUPPLY_MIN_DAYS - period_days
    return 0 < needed <= days_left and needed >= days_left - AT_RISK_SLACK


def at_risk_of_missing_16_filter(period_days: str, elapsed: str) -> Q:
    """at_risk_of_missing_16 as a filter, with `elapsed` the days since the period began
    (days_left = PERIOD_DAYS - elapsed):
    needed ≥ left - slack  ⟺  elapsed ≥ PERIOD_DAYS - FULL - slack + period_days;
    needed ≤ left          ⟺  elapsed ≤ PERIOD_DAYS - FULL + period_days."""
    reach = billing.PERIOD_DAYS - billing.FULL_SUPPLY_MIN_DAYS
    return Q(
        **{
            f"{period_days}__lt": billing.FULL_SUPPLY_MIN_DAYS,
            f"{elapsed}__gte": F(period_days) + (reach - AT_RISK_SLACK),
            f"{elapsed}__lte": F(period_days) + reach,
        }
    )


# --- no device data -----------------------------------------------------------------------------
NO_DATA_DAYS = 3


def silent_days(last_device_day: dt.date, today: dt.date) -> int:
    """Local days since the last device day (readings.alerts.alerts_check_no_data's count)."""
    return (today - last_device_day).days


# --- unclaimed alerts --------------------------------------------------------------------------
# How long an alert may wait unclaimed and unacknowledged, per tier: the organization's alert
# protocol's per-tier limits (readings.care.protocol, one place to change); these defaults only
# while it has none. Information alerts have no limit.
DEFAULT_CLAIM_LIMITS = {
    Severity.CRITICAL: dt.timedelta(minutes=15),
    Severity.WARNING: dt.timedelta(hours=4),
}


def alert_claim_limits(organization) -> dict[str, dt.timedelta]:
    """{severity: how long an alert of that tier may stay unclaimed} for the organization."""
    protocol = AlertProtocol.objects.filter(
        organization=organization, superseded_at__isnull=True
    ).first()
    if protocol is None:
        return dict(DEFAULT_CLAIM_LIMITS)
    return {
        Severity.CRITICAL: protocol.critical_limit,
        Severity.WARNING: protocol.warning_limit,
    }


class DaysBetween(Func):
    """Whole days from date `start` to date `end` (end - start), in each database's SQL."""

    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_postgresql(self, compiler, connection, **extra):
        (e, ep), (s, sp) = (compiler.compile(x) for x in self.source_expressions)
        return f"(({e})::date - ({s})::date)", [*ep, *sp]

    def as_sqlite(self, compiler, connection, **extra):
        (e, ep), (s, sp) = (compiler.compile(x) for x in self.source_expressions)
        return f"CAST(julianday({e}) - julianday({s}) AS INTEGER)", [*ep, *sp]
