"""The Solo webhook inbox taken by workers from the table itself (services.webhook_inbox): a claim
is one statement with FOR UPDATE SKIP LOCKED and a lease, so two workers never take one
delivery, and a worker that dies holding one leaves it to the next take after the lease. The
receiver answers from one INSERT (its key cached per process, the subscription re-checked by the
INSERT) and hints the workers off the request thread."""

import json
import threading
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments import webhooks as receiver
from appointments.crypto import solo_encrypt_json
from appointments.models import WebhookDelivery, WebhookSubscription
from appointments.services import webhook_inbox, webhooks
from portal.celery import app
from tests.conftest import wait_for

KEY = "39VNjjSpgoUWMbUhVCjAoQ=="


@pytest.fixture
def subscription(org):
    return WebhookSubscription.objects.create(
        organization=org,
        endpoint="https://portal.example/webhooks/solo/x",
        events=webhooks.SOLO_EVENTS,
        secrets={"encryption_key": KEY},
    )


def stored(subscription, n: int) -> list[int]:
    """`n` deliveries received and not yet taken (patients the mirror does not follow, so
    processing one asks Solo nothing and ends `ignored`)."""
    return [
        WebhookDelivery.objects.create(
            subscription=subscription,
            digest=f"inbox-{n}-{i}",
            event="patient:updated",
            object_id=f"p-{i}",
            payload={"event": "patient:updated", "data": {"patientId": f"p-{i}"}},
        ).pk
        for i in range(n)
    ]


def post(client, subscription, body: str):
    return client.post(
        reverse("solo-webhook", args=[subscription.receiver_id]),
        data=body,
        content_type="text/plain",
    )


def patient_event(n, key=KEY) -> str:
    return solo_encrypt_json(key, {"event": "patient:updated", "data": {"patientId": f"p-{n}"}})


@pytest.fixture
def not_eager():
    """As under gunicorn with a worker: tasks are not run in process."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


# --- the claim ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.both_databases
def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends(subscription):
    first, second = stored(subscription, 2)
    assert webhook_inbox.webhook_delivery_claim() == first
    assert webhook_inbox.webhook_delivery_claim() == second  # the first is held
    assert webhook_inbox.webhook_delivery_claim() is None
    held = WebhookDelivery.objects.get(pk=first)
    assert held.status == WebhookDelivery.Status.RECEIVED
    assert held.next_attempt_at > timezone.now() + webhook_inbox.CLAIM_LEASE / 2

    # The worker holding it died: after the lease the next take has it (the oldest first).
    later = timezone.now() + webhook_inbox.CLAIM_LEASE + timedelta(seconds=1)
    assert webhook_inbox.webhook_delivery_claim(now=later) == first


@pytest.mark.django_db
@pytest.mark.both_databases
def test_processed_failed_and_not_yet_due_deliveries_are_not_claimed(subscription):
    done, waiting, failed = stored(subscription, 3)
    WebhookDelivery.objects.filter(pk=done).update(status=WebhookDelivery.Status.PROCESSED)
    WebhookDelivery.objects.filter(pk=failed).update(status=WebhookDelivery.Status.FAILED)
    WebhookDelivery.objects.filter(pk=waiting).update(
        status=WebhookDelivery.Status.RETRYING,
        next_attempt_at=timezone.now() + timedelta(minutes=5),
    )
    assert webhook_inbox.webhook_delivery_claim() is None
    later = timezone.now() + timedelta(minutes=5, seconds=1)
    assert webhook_inbox.webhook_delivery_claim(now=later) == waiting


@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_a_delivery_another_worker_has_locked_without_waiting(subscription):
    locked, free = stored(subscription, 2)
    holding, release, answer = threading.Event(), threading.Event(), []

    def other_worker():  # its own connection, inside its claim's transaction
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update().get(pk=locked)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        answer.append(webhook_inbox.webhook_delivery_claim())  # does not wait for the lock
    finally:
        release.set()
        thread.join(timeout=30)
    assert answer == [free]


@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_at_once_never_take_one_delivery_twice(subscription):
    pending = set(stored(subscription, 40))
    start = threading.Barrier(2, timeout=30)
    taken: list[list[int]] = [[], []]

    def worker(mine):
        try:
            start.wait()
            while (pk := webhook_inbox.webhook_delivery_claim()) is not None:
                mine.append(pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not set(taken[0]) & set(taken[1])
    assert sorted(taken[0] + taken[1]) == sorted(pending)


# --- the take ----------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.both_databases
def test_a_worker_that_dies_mid_delivery_leaves_it_to_the_take_after_the_lease(
    subscription, monkeypatch
):
    (pk,) = stored(subscription, 1)
    process = webhook_inbox.webhook_delivery_process

    def dies(*, delivery):
        raise SystemExit  # the process is gone: nothing recorded

    monkeypatch.setattr(webhook_inbox, "webhook_delivery_process", dies)
    with pytest.raises(SystemExit):
        tasks.solo_webhook_deliveries_take()
    monkeypatch.setattr(webhook_inbox, "webhook_delivery_process", process)

    assert tasks.solo_webhook_deliveries_take() == 0  # held by the dead worker's lease
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.RECEIVED, 0)

    WebhookDelivery.objects.filter(pk=pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)  # the lease has ended
    )
    assert tasks.solo_webhook_deliveries_take() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.IGNORED, 1)
    assert delivery.next_attempt_at is None  # the lease ends with the record
    assert tasks.solo_webhook_deliveries_take() == 0


@pytest.mark.django_db
def test_a_take_processes_every_due_delivery_once(subscription):
    pks = stored(subscription, 5)
    assert tasks.solo_webhook_deliveries_take() == 5
    rows = WebhookDelivery.objects.filter(pk__in=pks)
    assert set(rows.values_list("status", "attempts")) == {(WebhookDelivery.Status.IGNORED, 1)}
    assert tasks.solo_webhook_deliveries_take() == 0


# --- the receiver ------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.both_databases
def test_a_duplicate_delivery_is_200_without_a_second_row(client, subscription):
    body = patient_event(1)
    first = post(client, subscription, body)
    again = post(client, subscription, body)
    assert (first.status_code, again.status_code) == (HTTPStatus.ACCEPTED, HTTPStatus.OK)
    # The same bytes and type JsonResponse made before the answers were built once.
    for answer, duplicate in ((first, False), (again, True)):
        made = JsonResponse({"received": True, "duplicate": duplicate})
        assert answer.content == made.content
        assert answer["Content-Type"] == made["Content-Type"]
    assert json.loads(again.content) == {"received": True, "duplicate": True}
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_subscription_deactivated_after_its_key_was_cached_is_404(client, subscription):
    assert post(client, subscription, patient_event(1)).status_code == HTTPStatus.ACCEPTED
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
    for body in (patient_event(2), patient_event(1), solo_encrypt_json(KEY, {"no": "event"})):
        response = post(client, subscription, body)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"error": "not_found", "message": "Unknown webhook."}
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_key_changed_after_it_was_cached_is_read_again(client, subscription):
    assert post(client, subscription, patient_event(1)).status_code == HTTPStatus.ACCEPTED
    subscription.secrets = {"encryption_key": "a new key from Solo"}
    subscription.save()
    response = post(client, subscription, patient_event(2, key="a new key from Solo"))
    assert response.status_code == HTTPStatus.ACCEPTED
    old_key = post(client, subscription, patient_event(3))
    assert old_key.status_code == HTTPStatus.BAD_REQUEST
    assert old_key.json()["error"] == "bad_request"
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
def test_with_a_worker_the_receiver_stores_and_hints_and_processes_nothing(
    client, subscription, monkeypatch, not_eager
):
    hints, sent = [], []
    monkeypatch.setattr(receiver, "inbox_hint", lambda: hints.append(1))
    monkeypatch.setattr(receiver, "task_send", lambda task, *args: sent.append(task.name))
    for n in range(3):
        assert post(client, subscription, patient_event(n)).status_code == HTTPStatus.ACCEPTED
    assert (len(hints), sent) == (3, [])  # no message per delivery from the request
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"received"}


def test_the_hint_thread_sends_at_most_one_per_interval_and_one_after_the_last_call(
    monkeypatch, not_eager
):
    sent = []
    monkeypatch.setattr(
        receiver, "task_send", lambda task, *args: sent.append((task.name, time.monotonic()))
    )
    hint = receiver._InboxHint()  # its own thread, not the process's
    for _ in range(200):
        hint()
    last_call = time.monotonic()
    wait_for(lambda: any(at > last_call for _, at in sent), message="a hint after the last call")
    assert {name for name, _ in sent} == {"appointments.tasks.solo_webhook_deliveries_take"}
    assert len(sent) <= 3  # 200 calls within a few HINT_SECONDS: one or two hints


@pytest.mark.django_db(transaction=True)
def test_a_persistent_connection_that_died_is_replaced_and_the_delivery_stored_once(
    client, subscription
):
    """The receiver skips Django's per-request health check (a round trip): its INSERT is
    idempotent, so a dead connection fails it and it runs again on a fresh one."""
    import psycopg

    assert post(client, subscription, patient_event(1)).status_code == HTTPStatus.ACCEPTED
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's backends only")
    with psycopg.connect(**connection.get_connection_params()) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
    response = post(client, subscription, patient_event(2))
    assert response.status_code == HTTPStatus.ACCEPTED
    assert WebhookDelivery.objects.count() == 2
