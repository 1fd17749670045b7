"""The Solo webhook inbox, worker side: workers take due deliveries from the table itself, so
the receiver publishes nothing per delivery (a Celery message cost it about 1 ms, more than
the rest of the receive path).

A delivery is due when it is `received`, or `retrying` and its time has come, and no live claim
holds it. A claim is one statement, in autocommit:

    UPDATE … SET next_attempt_at = <now + CLAIM_LEASE>
    WHERE id = (SELECT id … due … ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id

so two workers never take the same row, and nothing outlives the statement — no session
state, advisory lock or LISTEN — which keeps it correct behind PgBouncer in transaction mode.
The lease is written to `next_attempt_at`, the "not before" the claim already reads: a worker
that dies holding a delivery leaves it due again when the lease ends, and the record step
(services.webhooks) replaces the lease with the outcome (none, or the retry time).

On SQLite (the eager demo) there is no FOR UPDATE: the single UPDATE statement is atomic under
SQLite's one writer, which is the same guarantee."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from appointments.models import WebhookDelivery
from appointments.services.webhooks import webhook_delivery_process

# Longer than one delivery's processing can take (Solo's connect and read timeouts with their
# retries come to about 75 s at worst), so a live worker's claim is never taken from it; the
# time a crashed worker's delivery waits before another worker takes it.
CLAIM_LEASE = timedelta(minutes=3)
# One take run's budget (s): it then hands over to a fresh run, so one task never holds a
# worker process indefinitely while deliveries keep arriving.
TAKE_SECONDS = 30.0

_DUE = (WebhookDelivery.Status.RECEIVED.value, WebhookDelivery.Status.RETRYING.value)


def webhook_delivery_claim(*, now=None) -> int | None:
    """Claim the oldest due delivery for CLAIM_LEASE; its id, or None when none is due."""
    now = now or timezone.now()
    table = WebhookDelivery._meta.db_table
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET next_attempt_at = %s WHERE id = ("  # noqa: S608 — our names
            f"SELECT id FROM {table} WHERE status IN (%s, %s) "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
            f"ORDER BY id LIMIT 1{lock}) RETURNING id",
            [adapt(now + CLAIM_LEASE), *_DUE, adapt(now)],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def webhook_deliveries_take(
    *, seconds: float = TAKE_SECONDS, on_first: Callable[[], object] | None = None
) -> tuple[int, bool]:
    """Claim and process due deliveries, one at a time, until none is due or `seconds` have
    passed. Returns (how many were taken, whether any may be left). `on_first` runs once,
    when the first delivery is claimed (the task uses it to leave a hint for a sibling)."""
    deadline = time.monotonic() + seconds
    taken = 0
    while time.monotonic() < deadline:
        pk = webhook_delivery_claim()
        if pk is None:
            return taken, False
        if taken == 0 and on_first is not None:
            on_first()
        taken += 1
        delivery = (
            WebhookDelivery.objects.select_related("subscription__organization")
            .filter(pk=pk)
            .first()
        )
        if delivery is not None:  # gone with its subscription meanwhile: nothing to do
            webhook_delivery_process(delivery=delivery)
    return taken, True
