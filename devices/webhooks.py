"""`POST /webhooks/impilo/<receiver_id>`: Impilo's `order.Status` events.

Seed 001 says an order that assigns devices "triggers a status update for the order, which can
be observed through the Impilo webhook workflows" and names "the order.Status event type"; the
Webhook management guide it points to is not among our documents, so the body, the signature
and the answers are decided here (the sandbox, `portal/sandbox/impilo_orders.py`, sends exactly
this; `tests/devices/test_impilo_webhooks*.py` hold both to it):

- **Body** (JSON, at most MAX_BODY_BYTES = 64 KiB):
  `{"id": "evt_…", "type": "order.Status", "createdAt": "<UTC>", "data": {"orderId": n,
  "status": "<order status>", "customerId": n, "devices": [{"id": n, "patientId": n|null,
  "siteId": n|null}, …]}}`. `id` (≤ 64 printable characters) is the event's, the same on every
  redelivery: it is the idempotency key. `data.devices` names the devices the order touched
  (≤ 500, each with an integer `id`). Fields we do not know are kept and ignored.
- **Meaning**: a notification, not a state. The receiver fetches each named device from Impilo
  (`GET /v1/devices/{id}`) and mirrors that, as the 30-minute sync would, so a replayed or
  out-of-order event never rolls the mirror back; `patientId`/`siteId` in the event are for
  people reading logs, never written.
- **Authentication**: header `Impilo-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
  "<t>.<raw body>" keyed by the webhook's secret>` (the secret Impilo returns once when the
  webhook is registered, stored encrypted). A missing or wrong signature, or `t` more than 5
  minutes from our clock (a captured delivery replayed later), is 401 `bad_signature`.
- **Answers**: 202 `{"received": true, "duplicate": false}` once the event is stored (processed
  after commit by Celery); 200 with `"duplicate": true` for an event id already stored; 400
  `malformed_request` for a body that is not such an event (nothing stored); 404 for an unknown
  or deactivated receiver; 413 above 64 KiB. Another event type is stored and marked ignored.

Persist first, answer fast, process in Celery after commit. Logs name the receiver and the
delivery, never the body."""

import logging
import time

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from devices import tasks
from devices.models import ImpiloWebhookDelivery
from devices.services.webhooks import WebhookRejected, impilo_webhook_receive
from portal.celery import task_send

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
SIGNATURE_HEADER = "Impilo-Signature"


@csrf_exempt
@require_POST
def impilo_webhook(request, receiver_id):
    if len(request.body) > MAX_BODY_BYTES:
        logger.warning("impilo webhook receiver=%s refused: too large", receiver_id)
        return JsonResponse(
            {"error": "payload_too_large", "message": "Body too large."}, status=413
        )
    try:
        delivery, created = impilo_webhook_receive(
            receiver_id=receiver_id,
            body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            now=time.time(),
        )
    except WebhookRejected as exc:
        logger.warning("impilo webhook receiver=%s refused: %s", receiver_id, exc)
        messages = {
            "not_found": "Unknown webhook.",
            "bad_signature": "The Impilo-Signature header does not match the body.",
        }
        message = messages.get(exc.code, f"The event is malformed: {exc}.")
        return JsonResponse({"error": exc.code, "message": message}, status=exc.status)
    if delivery.status in (
        ImpiloWebhookDelivery.Status.RECEIVED,
        ImpiloWebhookDelivery.Status.RETRYING,
    ):
        pk = delivery.pk
        transaction.on_commit(lambda: task_send(tasks.impilo_webhook_process, pk))
    logger.info(
        "impilo webhook receiver=%s delivery=%s type=%s new=%s",
        receiver_id,
        delivery.pk,
        delivery.event_type,
        created,
    )
    return JsonResponse(
        {"received": True, "duplicate": not created}, status=202 if created else 200
    )
