"""`POST /webhooks/solo/<receiver_id>`: Solo's encrypted events (seed 003 "Webhooks").

Persist first (the inbox row), answer fast, process in Celery after commit. Anything that does
not decrypt or parse is refused with a 4xx and logged by receiver id only (never the body)."""

import logging

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from appointments import tasks
from appointments.models import WebhookDelivery
from appointments.services.webhooks import WebhookRejected, webhook_delivery_receive
from portal.celery import task_send

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def solo_webhook(request, receiver_id):
    if len(request.body) > MAX_BODY_BYTES:
        logger.warning("solo webhook receiver=%s refused: too large", receiver_id)
        return JsonResponse({"error": "too_large", "message": "Body too large."}, status=413)
    try:
        delivery, created = webhook_delivery_receive(receiver_id=receiver_id, body=request.body)
    except WebhookRejected as exc:
        reason = str(exc)
        logger.warning("solo webhook receiver=%s refused: %s", receiver_id, reason)
        if reason == "unknown receiver":
            return JsonResponse({"error": "not_found", "message": "Unknown webhook."}, status=404)
        if exc.malformed:
            return JsonResponse(
                {"error": "malformed_request", "message": f"The event is malformed: {reason}."},
                status=400,
            )
        return JsonResponse(
            {"error": "bad_request", "message": "The body is not a valid Solo event."}, status=400
        )
    if delivery.status in (WebhookDelivery.Status.RECEIVED, WebhookDelivery.Status.RETRYING):
        pk = delivery.pk
        transaction.on_commit(lambda: task_send(tasks.solo_webhook_process, pk))
    logger.info(
        "solo webhook receiver=%s delivery=%s event=%s new=%s",
        receiver_id,
        delivery.pk,
        delivery.event,
        created,
    )
    return JsonResponse(
        {"received": True, "duplicate": not created}, status=202 if created else 200
    )
