"""`POST /webhooks/solo/<receiver_id>`: Solo's encrypted events (seed 003 "Webhooks").

Persist first (the inbox row, committed before the answer), answer, and let a worker take the
row from the inbox (services.webhook_inbox). Anything that does not decrypt or parse is refused
with a 4xx and logged by receiver id only (never the body).

The answer waits for PostgreSQL only. Workers learn of new rows from a hint (`inbox_hint`,
sent by a background thread: at most one per HINT_SECONDS per process, and always one after the
last delivery) and from beat's poll ("solo-webhook-inbox" in portal/settings.py, every 2 s); a
hint lost with Redis costs latency, never a delivery.

Eager mode (CELERY_TASK_ALWAYS_EAGER: `make demo` on SQLite, the tests not about the worker)
has no worker and no beat: there the receiver processes its own delivery in process, right
after the insert committed, as it did before the inbox was polled — the demo shows a change
made in Solo at once."""

import logging
import os
import threading
import time

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from appointments import tasks
from appointments.models import WebhookDelivery
from appointments.services.webhooks import WebhookRejected, webhook_delivery_receive
from portal.celery import task_send

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
HINT_SECONDS = 0.5

# JsonResponse's own bytes for the two success answers, made once.
_ANSWERS = {
    True: b'{"received": true, "duplicate": false}',
    False: b'{"received": true, "duplicate": true}',
}
_PENDING = (WebhookDelivery.Status.RECEIVED, WebhookDelivery.Status.RETRYING)


@csrf_exempt
@require_POST
def solo_webhook(request, receiver_id):
    if len(request.body) > MAX_BODY_BYTES:
        logger.warning("solo webhook receiver=%s refused: too large", receiver_id)
        return JsonResponse({"error": "too_large", "message": "Body too large."}, status=413)
    try:
        delivery = webhook_delivery_receive(receiver_id=receiver_id, body=request.body)
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
    if delivery.status in _PENDING:
        if tasks.solo_webhook_process.app.conf.task_always_eager:
            pk = delivery.pk
            transaction.on_commit(lambda: task_send(tasks.solo_webhook_process, pk))
        else:
            inbox_hint()
    logger.info(
        "solo webhook receiver=%s delivery=%s event=%s new=%s",
        receiver_id,
        delivery.pk,
        delivery.event,
        delivery.created,
    )
    return HttpResponse(
        _ANSWERS[delivery.created],
        content_type="application/json",
        status=202 if delivery.created else 200,
    )


class _InboxHint:
    """Wakes the workers after deliveries arrive, off the request thread: a daemon thread per
    process sends `solo_webhook_deliveries_take`, then sleeps HINT_SECONDS. A delivery arriving
    meanwhile sets the flag again, so every delivery is followed by a hint sent after its row
    was committed (workers need no beat to find it), at most one per HINT_SECONDS per process
    however many arrive, and a broker that is down delays only this thread."""

    def __init__(self):
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def __call__(self) -> None:
        self._wanted.set()
        if self._thread is None or self._pid != os.getpid():  # first use, or a forked child
            with self._lock:
                if self._thread is None or self._pid != os.getpid():
                    self._pid = os.getpid()
                    self._thread = threading.Thread(
                        target=self._run, name="solo-inbox-hint", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            # A test process switches eager mode on and off between tests; never run the take
            # here (eagerly, on this thread).
            try:
                if not tasks.solo_webhook_deliveries_take.app.conf.task_always_eager:
                    task_send(tasks.solo_webhook_deliveries_take)  # logs a broker that is down
            except Exception:  # the thread must outlive any failure; beat's poll covers it
                logger.exception("solo inbox hint not sent")
            time.sleep(HINT_SECONDS)


inbox_hint = _InboxHint()
