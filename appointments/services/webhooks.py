"""Solo webhooks (seed 003 "Webhooks"): the subscription with Solo, and the inbox — receive
(decrypt, check, persist before Solo gets its 2xx), then process (fetch the named object from
Solo and apply it to the mirror).

Workers take deliveries from the inbox table itself (services.webhook_inbox: a claim with
FOR UPDATE SKIP LOCKED and a lease), so the receive path publishes nothing per delivery.
Processing is call, then record, with no lock held while Solo answers: the call is a GET, safe
to repeat. The record step locks the inbox row, re-checks that no other worker recorded it
meanwhile, counts the attempt and applies Solo's answer, all in one short transaction. So:
- two workers never take one delivery while its lease runs; one that runs it anyway (a broker
  redelivery of `solo_webhook_process`, a lease outlived) fetches too, and the first to record
  wins: the second finds the row done and changes nothing;
- a crash (a killed worker) before the record leaves the row as it was — `received` or
  `retrying`, the attempt not counted — and the next take after its lease (CLAIM_LEASE) runs
  it again; applying Solo's current state twice changes nothing twice;
- a Solo outage is recorded as `retrying` with a backoff, then `failed` after MAX_ATTEMPTS.

Registering: Add Webhook, then the subscription row. A crash between leaves a webhook in Solo
whose receiver the portal never stored: its deliveries are refused as "unknown receiver" (404),
and staff register again. Removing: Delete Webhook (404 counts as gone), then deactivate; a
repeat converges."""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from appointments import solo_shapes
from appointments.crypto import SoloCryptoError, solo_decrypt
from appointments.models import Appointment, Episode, WebhookDelivery, WebhookSubscription
from appointments.services.common import solo_client
from appointments.services.patient_events import (
    PATIENT_EVENTS,
    solo_patient_apply,
    solo_patient_fetch,
    solo_patient_followed,
)
from appointments.sync import appointment_mirror, episode_mirror
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.parsers import json_has_nul, json_loads

logger = logging.getLogger(__name__)


APPOINTMENT_EVENTS = [
    "appointment:scheduled",
    "appointment:rescheduled",
    "appointment:cancelled",
    "appointment:completed",
    "appointment:incompleted",
    "appointment:no-show",
    "appointment:lwbs",
]
EPISODE_EVENTS = ["episode:created", "episode:updated"]
# Every event seed 003 lists under Add Webhook, in its order: the portal subscribes to all.
SOLO_EVENTS = [*PATIENT_EVENTS, *APPOINTMENT_EVENTS, *EPISODE_EVENTS]
RETRY_BASE_SECONDS = 30
MAX_ATTEMPTS = 12


def webhook_subscription_register(
    *, organization, base_url: str | None = None, events: list[str] | None = None
) -> WebhookSubscription:
    """Add Webhook (seed 003) pointing at our receiver; store the encryptionKey encrypted."""
    subscription = WebhookSubscription(organization=organization, events=events or SOLO_EVENTS)
    base = (base_url or settings.PORTAL_BASE_URL).rstrip("/")
    subscription.endpoint = base + reverse("solo-webhook", args=[subscription.receiver_id])
    answer = solo_client(organization).webhook_add(
        endpoint=subscription.endpoint, events=subscription.events
    )
    subscription.solo_id = answer["id"]
    subscription.secrets = {"encryption_key": answer["encryptionKey"]}
    with transaction.atomic():
        WebhookSubscription.objects.filter(organization=organization, is_active=True).update(
            is_active=False
        )
        subscription.save()
        audit_event_record(
            action="solo.webhook.register", organization=organization, obj=subscription
        )
    return subscription


def webhook_subscription_remove(*, subscription: WebhookSubscription) -> None:
    """Delete Webhook in Solo (a 404 there means it is already gone), then deactivate ours."""
    try:
        solo_client(subscription.organization).webhook_delete(subscription.solo_id)
    except VendorError as exc:
        if exc.status != 404:
            raise
    subscription.is_active = False
    subscription.save(update_fields=["is_active", "updated_at"])


def webhook_subscription_update(*, subscription: WebhookSubscription, events: list[str]) -> None:
    """Update Webhook (seed 003, PUT) with our endpoint and `events`, then the row. A crash (or
    a refusal) between leaves Solo sending the new events while the row lists the old ones:
    `webhook_subscription_check` shows the difference, and saving again converges."""
    solo_client(subscription.organization).webhook_update(
        subscription.solo_id, endpoint=subscription.endpoint, events=events
    )
    with transaction.atomic():
        subscription.events = events
        subscription.save(update_fields=["events", "updated_at"])
        audit_event_record(
            action="solo.webhook.update", organization=subscription.organization, obj=subscription
        )


def webhook_subscription_check(*, subscription: WebhookSubscription) -> dict:
    """What Solo holds for this subscription: Webhooks Collection (is it listed) and Get Webhook
    (its endpoint and events), compared with the row. The key is compared, never returned."""
    client = solo_client(subscription.organization)
    listed = [h for h in client.webhooks() if isinstance(h, dict)]
    found = {
        "listed": any(str(h.get("id")) == subscription.solo_id for h in listed),
        "listed_count": len(listed),
    }
    try:
        held = client.webhook_get(subscription.solo_id)
    except VendorError as exc:
        if exc.status != 404:
            raise
        return {**found, "exists": False}
    events = held.get("events")
    if not isinstance(events, list):
        events = []
    return {
        **found,
        "exists": True,
        "endpoint": held.get("endpoint"),
        "events": events,
        "endpoint_matches": held.get("endpoint") == subscription.endpoint,
        "events_match": sorted(map(str, events)) == sorted(subscription.events or []),
        "key_matches": held.get("encryptionKey") == subscription.encryption_key,
    }


class WebhookRejected(Exception):
    """A delivery we cannot accept (unknown receiver, does not decrypt or parse)."""

    def __init__(self, reason: str, *, malformed: bool = False):
        super().__init__(reason)
        self.malformed = malformed  # decrypted, but not an event we can store and apply


OBJECT_ID_MAX_CHARS = 64  # WebhookDelivery.object_id


class Receipt(NamedTuple):
    """What the receiver answers from: the inbox row's id, event and status, and whether this
    request stored it (False: a replay of a stored delivery)."""

    pk: int
    event: str
    status: str
    created: bool


def webhook_delivery_receive(*, receiver_id, body: bytes) -> Receipt:
    """Decrypt, validate and persist one delivery (the inbox row) before Solo gets its 2xx.
    A replay of the same bytes answers with the first row.

    The hot path is one round trip: the receiver's key comes from this process's cache and the
    INSERT itself checks the subscription is still active. Anything the cache could have got
    wrong — a body that does not decrypt or parse, a row not inserted — is decided again on the
    subscription as it is now, so the answers are those of a fresh look-up."""
    cached = _RECEIVERS.get(str(receiver_id))
    receiver = cached or _receiver_load(receiver_id)
    try:
        digest, event, object_id, payload = _delivery_read(receiver[1], body)
    except WebhookRejected:
        if cached is None:
            raise
        receiver = _receiver_load(receiver_id)  # deactivated, or its key changed, since cached
        if receiver[1] == cached[1]:
            raise
        digest, event, object_id, payload = _delivery_read(receiver[1], body)
    pk = _inbox_insert(receiver[0], receiver_id, digest, event, object_id, payload)
    if pk is not None:
        return Receipt(pk, event, WebhookDelivery.Status.RECEIVED, True)
    if cached is not None:
        _receiver_load(receiver_id)  # not inserted: a replay, or the subscription is gone
    first = WebhookDelivery.objects.get(digest=digest)  # a replay (or its twin)
    return Receipt(first.pk, first.event, first.status, False)


# receiver_id → (subscription id, encryptionKey), per process: the key is an encrypted field
# (a Fernet decryption) and the look-up a round trip, on every delivery otherwise. Only
# receivers that exist are kept, so unknown ids cannot grow it; the bound is for safety.
_RECEIVERS: dict[str, tuple[int, str]] = {}
_RECEIVERS_MAX = 1024


def _receiver_load(receiver_id) -> tuple[int, str]:
    """The active subscription for `receiver_id`, from the database (and into the cache)."""
    subscription = (
        WebhookSubscription.objects.filter(receiver_id=receiver_id, is_active=True)
        .only("pk", "secrets")
        .first()
    )
    if subscription is None:
        _RECEIVERS.pop(str(receiver_id), None)
        raise WebhookRejected("unknown receiver")
    if len(_RECEIVERS) >= _RECEIVERS_MAX:
        _RECEIVERS.clear()
    receiver = (subscription.pk, subscription.encryption_key)
    _RECEIVERS[str(receiver_id)] = receiver
    return receiver


def _delivery_read(key: str, body: bytes) -> tuple[str, str, str, dict]:
    """(digest, event, object id, payload kept) of a body, or WebhookRejected."""
    try:
        text = body.decode("ascii")
        plain = solo_decrypt(key, text)
    except (UnicodeDecodeError, SoloCryptoError) as exc:
        raise WebhookRejected("does not decrypt") from exc
    try:
        payload = json_loads(plain)
    except ValueError as exc:
        raise WebhookRejected("not JSON, or nested too deep", malformed=True) from exc
    event = payload.get("event") if isinstance(payload, dict) else None
    if isinstance(event, dict):  # tolerate {"event": {"type": ...}} as in the payload schema
        event = event.get("type")
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(event, str) or not isinstance(data, dict):
        raise WebhookRejected("not an event", malformed=True)
    # Liberal in what Solo sends: fields seed 003 does not name are ignored (their names logged
    # once, see solo_shapes) and not stored — the inbox keeps only what the portal reads.
    solo_shapes.unknown_fields("webhook payload", payload, solo_shapes.PAYLOAD_FIELDS)
    data = solo_shapes.known_only("webhook data", data, solo_shapes.PAYLOAD_DATA_FIELDS)
    if json_has_nul({"event": event, "data": data}):
        # PostgreSQL can store no NUL in text or jsonb: refuse it here, not with a 500 later.
        raise WebhookRejected("holds a NUL character", malformed=True)
    object_id = _webhook_object_id(event, data)
    digest = hashlib.sha256(body).hexdigest()
    return digest, event[:40], object_id, {"event": event, "data": data}


_ID_KEYS = {"appointment": "appointmentId", "patient": "patientId", "episode": "episodeId"}


def _webhook_object_id(event: str, data: dict) -> str:
    """The id the event names, checked before anything is stored (seed 003 payload schemas):
    an appointment event's id is an int (a string of ASCII digits is read too, liberally);
    patient and episode ids are ints or short printable strings (uuids elsewhere in seed 003)."""
    kind = event.split(":", 1)[0]
    names = [_ID_KEYS[kind]] if kind in _ID_KEYS else list(_ID_KEYS.values())
    name = next((n for n in names if data.get(n) not in (None, "")), None)
    if name is None:
        raise WebhookRejected("no object id", malformed=True)
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise WebhookRejected(f"{name} is not an id", malformed=True)
    text = str(value)
    if not text.isprintable() or len(text) > OBJECT_ID_MAX_CHARS:
        raise WebhookRejected(f"{name} is not an id", malformed=True)
    if kind == "appointment" and not (text.isascii() and text.isdigit() and 0 < int(text) < 2**63):
        raise WebhookRejected(f"{name} is not a Solo appointment id", malformed=True)
    return text


def _inbox_insert(subscription_id, receiver_id, digest, event, object_id, payload) -> int | None:
    """INSERT … SELECT … ON CONFLICT (digest) DO NOTHING RETURNING id: one statement, atomic on
    its own, whether the delivery is new, a replay, or a replay arriving at the same instant;
    its SELECT inserts nothing unless the subscription is still active (the receiver's key may
    come from a cache). The new row's id, or None. (A look-up first and a transaction around
    the insert took three more round trips.)"""
    params = [
        WebhookDelivery.Status.RECEIVED.value,
        digest,
        event,
        object_id,
        connection.ops.adapt_json_value(payload, None),
        connection.ops.adapt_datetimefield_value(timezone.now()),
        subscription_id,
        _RECEIVER_ID.get_db_prep_value(receiver_id, connection),
    ]
    row = _statement_row(_INBOX_INSERT, params)
    return row[0] if row else None


def _statement_row(sql: str, params: list):
    """Run one idempotent statement in autocommit and return its first row. On PostgreSQL
    through psycopg's own cursor, bound on the server (no quoting in Python) and never
    prepared (nothing left in the session: PgBouncer in transaction mode), and without
    Django's per-request health check, a SELECT 1 round trip before the first query: a
    persistent connection that died fails the statement itself, which is idempotent, so it
    runs once more on a fresh connection."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    for last_try in (False, True):
        try:
            with connection.wrap_database_errors:
                connection.ensure_connection()
                with psycopg.Cursor(connection.connection) as cursor:
                    cursor.execute(sql, params, prepare=False)
                    return cursor.fetchone()
        except (OperationalError, InterfaceError):
            if last_try:
                raise
            connection.close()
    return None  # not reached


_RECEIVER_ID = WebhookSubscription._meta.get_field("receiver_id")
_INBOX_INSERT = (
    f"INSERT INTO {WebhookDelivery._meta.db_table} "  # noqa: S608 — our names
    "(subscription_id, status, attempts, last_error, digest, event, object_id, payload, "
    "received_at) SELECT s.id, %s, 0, '', %s, %s, %s, %s, %s "
    f"FROM {WebhookSubscription._meta.db_table} s "
    "WHERE s.id = %s AND s.receiver_id = %s AND s.is_active "
    "ON CONFLICT (digest) DO NOTHING RETURNING id"
)


FINISHED = (WebhookDelivery.Status.PROCESSED, WebhookDelivery.Status.IGNORED)


def webhook_delivery_process(*, delivery: WebhookDelivery) -> str:
    """Apply one delivery by fetching the current object from Solo (no transaction open), then
    recording the outcome in one short transaction (`_webhook_delivery_record`). Outages leave
    the row `retrying` with a backoff (the periodic sweep picks it up); nothing is lost.

    Any other failure (a bug, a value the database refuses) is caught too: the record step's
    transaction is rolled back, the row records the exception's class (never its text, which may
    quote patient data) and is retried with the same backoff, then `failed` after MAX_ATTEMPTS —
    never left `received` for the sweep to re-queue every minute forever."""
    if delivery.status in FINISHED:
        return delivery.status
    organization = delivery.subscription.organization
    try:
        answer = _webhook_delivery_fetch(delivery, organization)
        return _webhook_delivery_record(delivery, _applied, organization, answer)
    except VendorError as exc:
        status = _webhook_delivery_record(delivery, _vendor_failed, exc)
        logger.warning(
            "solo webhook delivery=%s event=%s attempt=%d failed status=%s",
            delivery.pk,
            delivery.event,
            delivery.attempts,
            exc.status,
        )
        return status
    except Exception as exc:  # any failure must end in a recorded state
        place = _error_place(exc)
        status = _webhook_delivery_record(delivery, _failed, place)
        logger.error(
            "solo webhook delivery=%s event=%s attempt=%d failed: %s",
            delivery.pk,
            delivery.event,
            delivery.attempts,
            place,
        )
        return status


def _applied(row: WebhookDelivery, organization, answer: dict | None) -> None:
    row.status = _webhook_delivery_apply(row, organization, answer)
    row.processed_at = timezone.now()
    row.last_error = ""
    row.next_attempt_at = None


def _vendor_failed(row: WebhookDelivery, exc: VendorError) -> None:
    row.last_error = str(exc)[:300]
    if exc.is_outage and row.attempts < MAX_ATTEMPTS:
        _webhook_delivery_retry_later(row)
        return
    row.next_attempt_at = None  # the claim's lease (webhook_inbox) ends with the row
    if exc.status == 404:
        row.status = WebhookDelivery.Status.IGNORED
    else:
        row.status = WebhookDelivery.Status.FAILED


def _failed(row: WebhookDelivery, place: str) -> None:
    row.last_error = f"Processing error: {place}"
    if row.attempts < MAX_ATTEMPTS:
        _webhook_delivery_retry_later(row)
    else:
        row.status = WebhookDelivery.Status.FAILED
        row.next_attempt_at = None


def _webhook_delivery_fetch(delivery: WebhookDelivery, organization) -> dict | None:
    """The call step: Solo's current state of the object the event names. None for an event
    seed 003 does not list, or a patient the mirror does not follow: nothing is fetched, and the
    delivery is recorded as ignored."""
    if delivery.event in APPOINTMENT_EVENTS:
        solo_appointment_id = int(delivery.object_id)  # checked before asking Solo
        return solo_client(organization).appointment_get(solo_appointment_id)
    if delivery.event in EPISODE_EVENTS:
        return solo_client(organization).episode_get(delivery.object_id)
    if delivery.event in PATIENT_EVENTS:
        if not solo_patient_followed(organization=organization, object_id=delivery.object_id):
            return None  # not a patient of the mirror: ignored without asking Solo
        return solo_patient_fetch(organization=organization, object_id=delivery.object_id)
    return None


def _webhook_delivery_apply(delivery: WebhookDelivery, organization, answer: dict | None) -> str:
    if not isinstance(answer, dict):
        return WebhookDelivery.Status.IGNORED  # an event seed 003 does not list
    result: Appointment | Episode | object | None  # the mirrored row; None: not followed here
    if delivery.event in APPOINTMENT_EVENTS:
        result = appointment_mirror(organization=organization, current=answer)
    elif delivery.event in EPISODE_EVENTS:
        result = episode_mirror(
            organization=organization, solo_id=delivery.object_id, current=answer
        )
    else:
        result = solo_patient_apply(
            organization=organization, object_id=delivery.object_id, current=answer
        )
    return WebhookDelivery.Status.PROCESSED if result else WebhookDelivery.Status.IGNORED


def _webhook_delivery_record(delivery: WebhookDelivery, outcome: Callable[..., None], *args) -> str:
    """The record step: lock the row, and unless another worker finished it meanwhile, count
    the attempt and write `outcome` (which may apply Solo's answer to the mirror) in the same
    short transaction. `delivery` is brought up to date with what was recorded."""
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if row.status not in FINISHED:
            row.attempts += 1
            outcome(row, *args)
            row.save()
    for field in ("status", "attempts", "last_error", "next_attempt_at", "processed_at"):
        setattr(delivery, field, getattr(row, field))
    return row.status


def _error_place(exc: Exception) -> str:
    """The exception's class and the line that raised it: enough to find the bug, and free of
    the exception's text (a database error quotes the values it refused)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


def _webhook_delivery_retry_later(delivery: WebhookDelivery) -> None:
    delivery.status = WebhookDelivery.Status.RETRYING
    delay = RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=min(delay, 3600))
