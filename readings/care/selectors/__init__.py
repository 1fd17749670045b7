"""Every read of care, already filtered by organization, one module per concern: the roster
(`roster`), the alert queue (`alert_queue`), the time log (`time_log`) and the monthly billing
report (`billing_report`). Callers import from here: one place names them all."""

from readings.care.selectors.alert_queue import (
    QUEUE_VIEWS,
    alert_colleagues,
    alert_for_org,
    alert_physicians,
    alert_queue,
    alert_queue_view,
    alert_readings,
    alert_view_counts,
    open_alert_counts,
)
from readings.care.selectors.billing_report import (
    BillingLine,
    PeriodLine,
    billing_lines,
    billing_patients,
)
from readings.care.selectors.roster import (
    ROSTER_SORTS,
    RosterFilters,
    RosterRow,
    next_appointments,
    open_alert_counts_bounded,
    organization_tz,
    roster_page,
    roster_patients,
    roster_patients_computed,
    roster_rows,
)
from readings.care.selectors.time_log import time_entries_for, time_entry_for_org

__all__ = [
    "QUEUE_VIEWS",
    "ROSTER_SORTS",
    "BillingLine",
    "PeriodLine",
    "RosterFilters",
    "RosterRow",
    "alert_colleagues",
    "alert_for_org",
    "alert_physicians",
    "alert_queue",
    "alert_queue_view",
    "alert_readings",
    "alert_view_counts",
    "billing_lines",
    "billing_patients",
    "next_appointments",
    "open_alert_counts",
    "open_alert_counts_bounded",
    "organization_tz",
    "roster_page",
    "roster_patients",
    "roster_patients_computed",
    "roster_rows",
    "time_entries_for",
    "time_entry_for_org",
]
