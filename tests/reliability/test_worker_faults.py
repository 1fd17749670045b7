"""A real Celery worker (prefork, acks_late) killed in the middle of Solo webhook processing,
and Redis — the broker — restarted under a running worker.

Promise: the inbox row is the source of truth. Workers take deliveries from the inbox table
(a claim with a lease, appointments.services.webhook_inbox); Redis carries only hints. A
delivery whose worker died mid-task is rolled back whole (no status, no change row, no attempt
recorded) and is taken again once its lease ends, by whichever worker is alive; a late
redelivery by the broker itself changes nothing. A Redis restart loses hints, not work: the
receiver keeps answering Solo while Redis is down, the worker takes the deliveries whose hints
were lost from the inbox, and tasks sent after the restart run. Every delivery is applied
exactly once."""

import os
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
import requests
from django.db.models import F
from django.urls import reverse

from appointments import tasks
from appointments.crypto import solo_encrypt_json
from appointments.models import AppointmentChange, AppointmentStatus, WebhookDelivery
from appointments.services import webhooks
from appointments.services.webhook_inbox import CLAIM_LEASE
from portal.celery import app
from portal.sandbox import world as demo
from portal.sandbox.state import STORE
from readings import tasks as readings_tasks
from readings.models import OutboxMessage, OutboxStatus
from readings.services.manual import manual_reading_record
from tests.conftest import wait_for
from tests.factories import PatientFactory
from tests.reliability.test_redis_restart import _redis, _redis_up, _start_redis

# Under VENDOR_READ_TIMEOUT (2 s in tests): the slowed Get Appointment still succeeds if it is
# allowed to finish, so only the kill can stop it.
SLOW_GET_SECONDS = 1.8


def _completed_in_solo(visit):
    """A clinician finished the visit in Solo; the portal has not heard yet."""
    appointment = STORE.get("solo", "appointments", visit.solo_id)
    STORE.put("solo", "appointments", visit.solo_id, {**appointment, "status": "completed"})


def _deliver(live_server, subscription, visit):
    """Solo's webhook for `visit`, over real HTTP to the receiver; returns the inbox row."""
    body = solo_encrypt_json(
        subscription.encryption_key,
        {"event": "appointment:completed", "data": {"appointmentId": visit.solo_id}},
    )
    url = live_server.url + reverse("solo-webhook", args=[subscription.receiver_id])
    response = requests.post(url, data=body.encode(), timeout=30)
    assert response.status_code == HTTPStatus.ACCEPTED, response.text
    return WebhookDelivery.objects.get(object_id=str(visit.solo_id))


def _slow_get(faults, visit):
    faults.inject(
        "solo",
        "slow",
        delay=SLOW_GET_SECONDS,
        path_contains=f"/qapi/v1/appointments/{visit.solo_id}",
    )


def _processed(delivery) -> bool:
    delivery.refresh_from_db()
    return delivery.status == WebhookDelivery.Status.PROCESSED


def _sweep_as_if_minutes_passed(minutes=4) -> int:
    """Run beat's inbox poll as it would `minutes` after the deliveries arrived (past the
    lease of a claim, CLAIM_LEASE)."""
    assert timedelta(minutes=minutes) > CLAIM_LEASE
    WebhookDelivery.objects.filter(status=WebhookDelivery.Status.RECEIVED).update(
        received_at=F("received_at") - timedelta(minutes=minutes),
        next_attempt_at=F("next_attempt_at") - timedelta(minutes=minutes),
    )
    return tasks.solo_webhook_deliveries_take()


def _assert_applied_exactly_once(visits, deliveries):
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PROCESSED, 1)
    for visit in visits:
        visit.refresh_from_db()
        assert visit.status == AppointmentStatus.COMPLETED
        from_solo = AppointmentChange.objects.filter(appointment=visit, source="solo")
        assert [c.status for c in from_solo] == [AppointmentStatus.COMPLETED]


@pytest.fixture
def visits(org, book):
    """Five booked visits, each then completed in Solo (before any webhook subscription, so
    the only deliveries are the ones the test sends)."""
    booked = [book(days=d, hour=h) for d, h in ((12, 9), (12, 11), (12, 13), (13, 9), (13, 11))]
    for visit in booked:
        _completed_in_solo(visit)
    return booked


@pytest.fixture
def subscription(org, visits, live_server):
    return webhooks.webhook_subscription_register(organization=org, base_url=live_server.url)


@pytest.mark.worker
def test_a_worker_killed_mid_webhook_is_replaced_and_every_delivery_applies_once(
    celery_worker_process, visits, subscription, live_server, faults
):
    first, *others = visits
    _slow_get(faults, first)
    killed = _deliver(live_server, subscription, first)
    wait_for(lambda: faults.pending("solo") == 0, timeout=60, message="the slow GET under way")
    queued = [_deliver(live_server, subscription, visit) for visit in others]

    celery_worker_process.kill()  # SIGKILL while Get Appointment is on its way back

    killed.refresh_from_db()
    assert (killed.status, killed.attempts) == (WebhookDelivery.Status.RECEIVED, 0)
    assert not AppointmentChange.objects.filter(source="solo").exists()

    celery_worker_process.start()  # the replacement takes what is still waiting
    wait_for(lambda: all(_processed(d) for d in queued), timeout=60, message="queued processed")
    killed.refresh_from_db()
    # The dead worker's claim holds it until its lease ends: no live worker took it meanwhile.
    assert killed.status == WebhookDelivery.Status.RECEIVED

    # The lease ends (as if minutes passed) and beat's sweep takes the delivery — or the
    # replacement worker does: its take loop claims until nothing is due, and its last claim can
    # come just after the lease was moved. Either way the delivery runs once, after the lease.
    assert _sweep_as_if_minutes_passed() in (0, 1)
    wait_for(lambda: _processed(killed), timeout=60, message="the killed delivery re-run")
    _assert_applied_exactly_once(visits, [killed, *queued])

    # The broker hands the dead worker's message back an hour later: nothing happens twice.
    assert tasks.solo_webhook_process(killed.pk) == "processed"
    _assert_applied_exactly_once(visits, [killed, *queued])


# --- Redis restarted ------------------------------------------------------------------------
@pytest.fixture
def redis_restartable(request):
    # Stopping Redis under the other test workers would fail their tests: only the serial
    # phase of bin/run-tests may do it.
    assert request.node.get_closest_marker("exclusive_services"), "mark it exclusive_services"
    if not os.environ.get("REDIS_PORT"):
        pytest.skip("needs bin/with-services (REDIS_PORT)")
    yield
    if not _redis_up():
        _start_redis()


@pytest.mark.worker
@pytest.mark.exclusive_services  # restarts the shared Redis
def test_redis_restarted_under_a_busy_worker_loses_no_delivery(
    celery_worker_process, visits, subscription, live_server, faults, redis_restartable
):
    in_flight_visit, *queued_visits, while_down_visit, after_visit = visits

    _slow_get(faults, in_flight_visit)
    in_flight = _deliver(live_server, subscription, in_flight_visit)
    wait_for(lambda: faults.pending("solo") == 0, timeout=60, message="the slow GET under way")
    queued = [_deliver(live_server, subscription, visit) for visit in queued_visits]

    _redis("shutdown", "nosave")  # the queued hints go with it
    wait_for(lambda: not _redis_up(), message="redis stopped")
    # Solo keeps being answered: the row is stored, its hint cannot be sent.
    while_down = _deliver(live_server, subscription, while_down_visit)
    _start_redis()

    # The task that was running finishes and takes the rest from the inbox, hints or not; the
    # worker reconnects and takes new work.
    wait_for(lambda: _processed(in_flight), timeout=60, message="the in-flight task done")
    after = _deliver(live_server, subscription, after_visit)
    every = [in_flight, *queued, while_down, after]
    wait_for(lambda: all(_processed(d) for d in every), timeout=90, message="every one taken")
    assert _sweep_as_if_minutes_passed() == 0  # nothing was left for beat's poll
    _assert_applied_exactly_once(visits, every)


@pytest.fixture
def broker_sends():
    """Tasks go to the real broker (not run eagerly) for the test."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def maria(org):
    """Demo patient 0, known to the Impilo sandbox."""
    person = demo.demo_patients()[0]
    return PatientFactory(organization=org, impilo_patient_id=person.impilo_patient_id)


@pytest.mark.exclusive_services  # stops the shared Redis
def test_a_manual_reading_saved_while_redis_is_down_reaches_impilo_through_the_outbox_sweep(
    alice, maria, vendor_accounts, redis_restartable, broker_sends
):
    _redis("shutdown", "nosave")
    wait_for(lambda: not _redis_up(), message="redis stopped")

    taken = datetime(2026, 11, 20, 14, 15, tzinfo=UTC)
    (reading,) = manual_reading_record(
        patient=maria, metric="heart_rate", value=88, measured_at=taken, by=alice
    )  # the nurse's form gets its answer: saved, the send left to the sweep
    message = OutboxMessage.objects.get(reading=reading)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)

    _start_redis()
    app.conf.task_always_eager = True  # run the sweep's sends here, not in a worker
    assert readings_tasks.outbox_retry_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 1)
    sent = [r for r in STORE.all("impilo", "readings") if r.get("manual")]
    assert [(r["heartRate"], r["readingTimestamp"]) for r in sent] == [(88, "2026-11-20T14:15:00Z")]
