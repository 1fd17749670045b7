"""Every write of care, one module per concern — a patient's threshold overrides
(`readings.care.thresholds`), alert triage (`readings.care.alerts`), the time log and its timer
(`readings.care.timelog`). Callers import from here: one place names them all. Each function is
one business action, transactional, and audited. Alert evaluation and the default thresholds
are ingestion's (`readings.alerts`, `readings.thresholds`)."""

from readings.care.alerts import (
    AlertHeldError,
    AlertStateError,
    alert_acknowledge,
    alert_assign,
    alert_claim,
    alert_escalate,
    alert_note_add,
    alert_release,
    alert_resolve,
    alerts_acknowledge_many,
    alerts_resolve_many,
)
from readings.care.thresholds import threshold_override_set
from readings.care.timelog import (
    TimerError,
    care_timer_cancel,
    care_timer_start,
    care_timer_stop,
    patient_today,
    performer_for,
    time_entry_can_edit,
    time_entry_create,
    time_entry_delete,
    time_entry_update,
)

__all__ = [
    "AlertHeldError",
    "AlertStateError",
    "TimerError",
    "alert_acknowledge",
    "alert_assign",
    "alert_claim",
    "alert_escalate",
    "alert_note_add",
    "alert_release",
    "alert_resolve",
    "alerts_acknowledge_many",
    "alerts_resolve_many",
    "care_timer_cancel",
    "care_timer_start",
    "care_timer_stop",
    "patient_today",
    "performer_for",
    "threshold_override_set",
    "time_entry_can_edit",
    "time_entry_create",
    "time_entry_delete",
    "time_entry_update",
]
