"""Every write of the care-team workspace, one module per concern — thresholds
(`readings.care.thresholds`), alert evaluation and triage (`readings.care.alerts`), the time log
and its timer (`readings.care.timelog`). Callers import from here: one place names them all.
Each function is one business action, transactional, and audited."""

from readings.care.alerts import (
    AlertStateError,
    alert_acknowledge,
    alert_escalate,
    alert_note_add,
    alert_resolve,
    alerts_check_no_data,
    alerts_evaluate_readings,
)
from readings.care.thresholds import (
    DEFAULT_RULES,
    effective_rules,
    threshold_defaults_ensure,
    threshold_override_set,
)
from readings.care.timelog import (
    MAX_ENTRY_MINUTES,
    TimerError,
    care_timer_cancel,
    care_timer_start,
    care_timer_stop,
    patient_today,
    time_entry_can_edit,
    time_entry_create,
    time_entry_delete,
    time_entry_update,
)

__all__ = [
    "DEFAULT_RULES",
    "MAX_ENTRY_MINUTES",
    "AlertStateError",
    "TimerError",
    "alert_acknowledge",
    "alert_escalate",
    "alert_note_add",
    "alert_resolve",
    "alerts_check_no_data",
    "alerts_evaluate_readings",
    "care_timer_cancel",
    "care_timer_start",
    "care_timer_stop",
    "effective_rules",
    "patient_today",
    "threshold_defaults_ensure",
    "threshold_override_set",
    "time_entry_can_edit",
    "time_entry_create",
    "time_entry_delete",
    "time_entry_update",
]
