"""Solo webhooks under a flood and under hostile bodies, over real HTTP to the live server.

Promise: every delivery that decrypts is stored once and processed once (a replay of the same
bytes is acknowledged as a duplicate and changes nothing); anything truncated, oversized or
encrypted with another key is a 4xx and leaves no row behind.
"""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
import requests
from django.urls import reverse

from appointments.crypto import solo_encrypt_json
from appointments.models import Appointment, AppointmentChange, WebhookDelivery
from appointments.services import webhooks

pytestmark = pytest.mark.django_db(transaction=True)

FLOOD = 1000
REPLAYS = 100


def _url(live_server, subscription):
    return live_server.url + reverse("solo-webhook", args=[subscription.receiver_id])


def _post_all(url, bodies, workers=4):
    def post(body):
        with requests.Session() as session:
            response = session.post(url, data=body.encode(), timeout=30)
            return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(post, bodies))


@pytest.mark.heavy
def test_a_flood_of_1000_deliveries_with_replays_is_stored_and_processed_exactly_once(
    org, book, live_server
):
    visits = [book(days=12, hour=9), book(days=12, hour=11)]
    # Subscribed after booking, so the only deliveries are the ones this test sends.
    subscription = webhooks.webhook_subscription_register(
        organization=org, base_url=live_server.url
    )
    changes_before = AppointmentChange.objects.count()
    key = subscription.encryption_key
    bodies = [
        solo_encrypt_json(
            # a seed 003 event (an unlisted one, e.g. appointment:updated, is only "ignored")
            key,
            {"event": "appointment:rescheduled", "data": {"appointmentId": visits[i % 2].solo_id}},
        )
        for i in range(10)
    ] + [
        solo_encrypt_json(key, {"event": "patient:updated", "data": {"patientId": f"p-{i:04d}"}})
        for i in range(FLOOD - 10)
    ]
    assert len(set(bodies)) == FLOOD
    replays = bodies[:: FLOOD // REPLAYS]

    answers = _post_all(_url(live_server, subscription), bodies + replays)

    statuses = Counter(status for status, _ in answers)
    assert statuses == {HTTPStatus.ACCEPTED: FLOOD, HTTPStatus.OK: REPLAYS}
    assert all(body == {"received": True, "duplicate": True} for _, body in answers[FLOOD:])
    deliveries = WebhookDelivery.objects.filter(subscription=subscription)
    assert deliveries.count() == FLOOD  # none lost, none stored twice
    assert set(deliveries.values_list("object_id", flat=True)) == {
        *(str(v.solo_id) for v in visits),
        *(f"p-{i:04d}" for i in range(FLOOD - 10)),
    }
    # Every delivery processed exactly once, to a final state.
    assert set(deliveries.values_list("attempts", flat=True)) == {1}
    assert Counter(deliveries.values_list("status", flat=True)) == {
        WebhookDelivery.Status.PROCESSED: 10,
        WebhookDelivery.Status.IGNORED: FLOOD - 10,
    }
    # Ten updates of unchanged visits applied nothing twice: no new visit, no new change row.
    assert Appointment.objects.count() == 2
    assert AppointmentChange.objects.count() == changes_before


@pytest.fixture
def subscription(org, solo_account, live_server):
    return webhooks.webhook_subscription_register(organization=org, base_url=live_server.url)


def test_truncated_foreign_and_garbled_bodies_are_400_and_store_nothing(subscription, live_server):
    url = _url(live_server, subscription)
    good = solo_encrypt_json(
        subscription.encryption_key, {"event": "patient:updated", "data": {"patientId": "p-1"}}
    )
    other_key = solo_encrypt_json(
        "39VNjjSpgoUWMbUhVCjAoQ==", {"event": "patient:updated", "data": {"patientId": "p-1"}}
    )
    bad = [
        good[: len(good) // 2],
        good[:-1],
        good[:16],
        other_key,
        good[::-1],
        "é" + good,
        good.replace("=", ""),
    ]
    for body in bad:
        response = requests.post(url, data=body.encode(), timeout=10)
        assert response.status_code == HTTPStatus.BAD_REQUEST, body[:40]
        assert response.json()["error"] == "bad_request"
    assert not WebhookDelivery.objects.exists()
    # ...and the intact body still goes through afterwards.
    assert requests.post(url, data=good.encode(), timeout=10).status_code == HTTPStatus.ACCEPTED
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize("size", [1_100_000, 3_000_000])
def test_a_huge_body_is_413_in_json_and_stores_nothing(subscription, live_server, size):
    response = requests.post(_url(live_server, subscription), data=b"A" * size, timeout=30)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["error"].endswith("too_large")
    assert not WebhookDelivery.objects.exists()
