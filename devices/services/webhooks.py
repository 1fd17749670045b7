"""Impilo `order.Status` webhooks: the subscription with Impilo, and the inbox — receive (check
the signature and the shape, persist before Impilo gets its 2xx), then process (fetch each
device the event names from Impilo and write it into the mirror as the sync does).

The shape and the signature are decided in `devices/webhooks.py`. Processing is call, then
record, with no lock held while Impilo answers: the call is a GET, safe to repeat; the record
step locks the inbox row, re-checks that no other worker recorded it meanwhile, counts the
attempt and applies Impilo's answers in one short transaction. So a redelivery, two workers on
one row or an out-of-order event change nothing twice: the mirror takes Impilo's current state
of each device, never the event's copy. An Impilo outage leaves the row `retrying` with a
backoff; the 30-minute device sync stays the safety net for an event that never arrives."""

from __future__ import annotations

import hashlib
import hmac
import logging
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from devices.clients import ImpiloClient
from devices.models import ImpiloWebhook, ImpiloWebhookDelivery
from devices.sync import impilo_devices_apply, impilo_devices_prepare
from portal.audit import audit_event_record
from portal.http import VendorError
from portal.parsers import json_has_nul, json_loads

logger = logging.getLogger(__name__)

ORDER_STATUS = "order.Status"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_EVENT_DEVICES = 500
RETRY_BASE_SECONDS = 30
MAX_ATTEMPTS = 12
FINISHED = (ImpiloWebhookDelivery.Status.PROCESSED, ImpiloWebhookDelivery.Status.IGNORED)


def impilo_webhook_register(*, organization, base_url: str | None = None) -> ImpiloWebhook:
    """Register our receiver with Impilo for `order.Status`; store the secret encrypted. The
    organization's earlier webhooks are deactivated (their deliveries are then refused)."""
    webhook = ImpiloWebhook(organization=organization, event_types=[ORDER_STATUS])
    base = (base_url or settings.PORTAL_BASE_URL).rstrip("/")
    webhook.endpoint = base + reverse("impilo-webhook", args=[webhook.receiver_id])
    answer = ImpiloClient.for_organization(organization).webhook_add(
        url=webhook.endpoint, event_types=webhook.event_types
    )
    webhook.impilo_id = str(answer["id"])
    webhook.secrets = {"secret": answer["secret"]}
    with transaction.atomic():
        ImpiloWebhook.objects.filter(organization=organization, is_active=True).update(
            is_active=False
        )
        webhook.save()
        audit_event_record(action="impilo.webhook.register", organization=organization, obj=webhook)
    return webhook


class WebhookRejected(Exception):
    """A delivery we do not accept. `status` is the HTTP answer, `code` its machine code."""

    def __init__(self, reason: str, *, status: int = 400, code: str = "malformed_request"):
        super().__init__(reason)
        self.status, self.code = status, code


def signature_valid(secret: str, header: str, body: bytes, now: float) -> bool:
    """`Impilo-Signature: t=<unix seconds>,v1=<hex>` (devices/webhooks.py): the HMAC-SHA256 of
    `<t>.<body>` under the webhook's secret, `t` within SIGNATURE_TOLERANCE_SECONDS of now."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, sent = parts.get("t", ""), parts.get("v1", "")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12 or not secret:
        return False
    if abs(now - int(stamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), sent)


def _event(body: bytes) -> dict:
    """The event, checked against the decided shape before anything is stored. Unknown fields
    are kept and ignored (a vendor adding one must not stop the mirror)."""
    try:
        event = json_loads(body)
    except ValueError as exc:
        raise WebhookRejected("not JSON, or nested too deep") from exc
    if not isinstance(event, dict) or json_has_nul(event):
        raise WebhookRejected("not an event")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64 or not event_id.isprintable():
        raise WebhookRejected("id is not an event id")
    if not isinstance(event_type, str) or not 0 < len(event_type) <= 40:
        raise WebhookRejected("type is not an event type")
    if not isinstance(event.get("data"), dict):
        raise WebhookRejected("data is not an object")
    if event_type == ORDER_STATUS:
        devices = event["data"].get("devices")
        if not isinstance(devices, list) or len(devices) > MAX_EVENT_DEVICES:
            raise WebhookRejected(f"data.devices is not a list of at most {MAX_EVENT_DEVICES}")
        for device in devices:
            device_id = device.get("id") if isinstance(device, dict) else None
            if isinstance(device_id, bool) or not isinstance(device_id, int) or device_id < 1:
                raise WebhookRejected("data.devices[].id is not a device id")
    return event


def impilo_webhook_receive(
    *, receiver_id, body: bytes, signature: str, now: float
) -> tuple[ImpiloWebhookDelivery, bool]:
    """Authenticate, check and persist one delivery before Impilo gets its 2xx. Returns
    (delivery, created); a redelivery of the same event id returns the first row."""
    webhook = ImpiloWebhook.objects.filter(receiver_id=receiver_id, is_active=True).first()
    if webhook is None:
        raise WebhookRejected("unknown receiver", status=404, code="not_found")
    if not signature_valid(webhook.secret, signature, body, now):
        raise WebhookRejected("bad signature", status=401, code="bad_signature")
    event = _event(body)
    fields = {"event_type": event["type"], "payload": event, "received_at": timezone.now()}
    try:
        with transaction.atomic():
            delivery, created = ImpiloWebhookDelivery.objects.get_or_create(
                webhook=webhook, event_id=event["id"], defaults=fields
            )
    except IntegrityError:  # the same event arriving twice at the same instant
        return ImpiloWebhookDelivery.objects.get(webhook=webhook, event_id=event["id"]), False
    return delivery, created


def impilo_webhook_process(*, delivery: ImpiloWebhookDelivery) -> str:
    """Apply one delivery: fetch each device it names (no transaction open), then record."""
    if delivery.status in FINISHED:
        return delivery.status
    organization = delivery.webhook.organization
    try:
        if delivery.event_type != ORDER_STATUS:
            return _record(delivery, _ignored)
        client = ImpiloClient.for_organization(organization)
        remotes = _devices_fetched(client, delivery.payload["data"]["devices"])
        prepared = impilo_devices_prepare(organization, client, remotes)
        return _record(delivery, _applied, organization, prepared)
    except VendorError as exc:
        logger.warning(
            "impilo webhook delivery=%s attempt=%d failed status=%s",
            delivery.pk,
            delivery.attempts + 1,
            exc.status,
        )
        return _record(delivery, _vendor_failed, exc)
    except Exception as exc:  # any failure must end in a recorded state, without PHI
        place = _error_place(exc)
        logger.error("impilo webhook delivery=%s failed: %s", delivery.pk, place)
        return _record(delivery, _failed, place)


def _devices_fetched(client: ImpiloClient, named: list[dict]) -> list[dict]:
    """Impilo's current state of each named device; one Impilo no longer shows us (404: not
    ours, or gone) is left out."""
    remotes = []
    for device_id in dict.fromkeys(d["id"] for d in named):
        try:
            remotes.append(client.get_device(device_id))
        except VendorError as exc:
            if exc.status != 404:
                raise
    return remotes


def _applied(row: ImpiloWebhookDelivery, organization, prepared: list) -> None:
    outcomes = impilo_devices_apply(organization, prepared)
    row.status = ImpiloWebhookDelivery.Status.PROCESSED
    if not prepared:
        row.status = ImpiloWebhookDelivery.Status.IGNORED
    row.processed_at = timezone.now()
    row.last_error = ""
    row.next_attempt_at = None
    if any(outcome != "unchanged" for outcome in outcomes):
        audit_event_record(
            action="device.sync",
            organization=organization,
            obj=row,
            detail={"webhook": ORDER_STATUS, "updated": sum(o != "unchanged" for o in outcomes)},
        )


def _ignored(row: ImpiloWebhookDelivery) -> None:
    row.status = ImpiloWebhookDelivery.Status.IGNORED  # an event type we did not subscribe to
    row.processed_at = timezone.now()


def _vendor_failed(row: ImpiloWebhookDelivery, exc: VendorError) -> None:
    row.last_error = str(exc)[:300]
    if exc.is_outage and row.attempts < MAX_ATTEMPTS:
        _retry_later(row)
    else:
        row.status = ImpiloWebhookDelivery.Status.FAILED
        row.next_attempt_at = None


def _failed(row: ImpiloWebhookDelivery, place: str) -> None:
    row.last_error = f"Processing error: {place}"
    if row.attempts < MAX_ATTEMPTS:
        _retry_later(row)
    else:
        row.status = ImpiloWebhookDelivery.Status.FAILED
        row.next_attempt_at = None


def _retry_later(row: ImpiloWebhookDelivery) -> None:
    row.status = ImpiloWebhookDelivery.Status.RETRYING
    delay = RETRY_BASE_SECONDS * 2 ** (row.attempts - 1)
    row.next_attempt_at = timezone.now() + timedelta(seconds=min(delay, 3600))


def _record(delivery: ImpiloWebhookDelivery, outcome, *args) -> str:
    """Lock the row; unless another worker finished it meanwhile, count the attempt and write
    `outcome` (which may apply Impilo's answers) in the same short transaction."""
    with transaction.atomic():
        row = ImpiloWebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if row.status not in FINISHED:
            row.attempts += 1
            outcome(row, *args)
            row.save()
    for field in ("status", "attempts", "last_error", "next_attempt_at", "processed_at"):
        setattr(delivery, field, getattr(row, field))
    return row.status


def _error_place(exc: Exception) -> str:
    """The exception's class and line: enough to find the bug, free of its text (PHI)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{where}"


def impilo_deliveries_due(now=None) -> list[int]:
    """Deliveries to send to a worker again: retrying and due, or received and never
    processed for two minutes (a worker that died, a queue that lost the message)."""
    now = now or timezone.now()
    status = ImpiloWebhookDelivery.Status
    due = ImpiloWebhookDelivery.objects.filter(
        status=status.RETRYING, next_attempt_at__lte=now
    ) | ImpiloWebhookDelivery.objects.filter(
        status=status.RECEIVED, received_at__lte=now - timedelta(minutes=2)
    )
    return list(due.values_list("pk", flat=True))
