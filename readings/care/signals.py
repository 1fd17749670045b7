"""What triage announces inside care (issue 17). The escalation itself (alert.escalated_to, the
event) is triage's; whom to tell and how (portal notice, email, the notification record) is the
notification module's, which listens here."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import Signal

# Sent after commit when an alert was handed to a named person: escalated (by staff, or by the
# protocol when unacknowledged past its limit) or assigned. Keyword arguments:
#   alert_id: int; to_user_id: int; by_user_id: int | None (None = the protocol);
#   reason: "escalated" or "assigned"; note: str (why; may be empty for "assigned").
alert_handed = Signal()


def alert_handed_after_commit(
    *, alert_id: int, to_user_id: int, by_user_id: int | None, reason: str, note: str = ""
) -> None:
    transaction.on_commit(
        partial(
            alert_handed.send_robust,
            sender="care",
            alert_id=alert_id,
            to_user_id=to_user_id,
            by_user_id=by_user_id,
            reason=reason,
            note=note,
        )
    )
