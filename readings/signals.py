"""What readings announces to the parts built on it. Readings never imports care (import rules);
care listens here instead (issue 17: notifications and escalation)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import Signal

# Sent once the transaction that opened an alert, or raised its severity, has committed, so a
# receiver never sees (or notifies about) an alert that was rolled back. Keyword arguments:
#   alert_id: int; severity: the alert's severity now ("critical", "warning", "information");
#   reason: "opened" or "severity_raised".
# Receivers run after commit; an exception in one is logged by Django and does not undo the
# reading (send_robust).
alert_raised = Signal()


def alert_raised_after_commit(*, alert_id: int, severity: str, reason: str) -> None:
    transaction.on_commit(
        partial(
            alert_raised.send_robust,
            sender="readings",
            alert_id=alert_id,
            severity=severity,
            reason=reason,
        )
    )
