"""Solo webhook payloads that decrypt but are not events we can store: refused with 400
`malformed_request` and nothing stored. A stored delivery whose processing fails for a reason
other than a vendor error is retried with backoff, then `failed` — never left `received`."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.crypto import solo_encrypt
from appointments.models import WebhookDelivery, WebhookSubscription
from appointments.services import webhooks

pytestmark = pytest.mark.django_db
KEY = "39VNjjSpgoUWMbUhVCjAoQ=="


@pytest.fixture
def subscription(org):
    return WebhookSubscription.objects.create(
        organization=org,
        endpoint="https://portal.example/webhooks/solo/x",
        events=webhooks.APPOINTMENT_EVENTS,
        secrets={"encryption_key": KEY},
    )


def post(client, subscription, plaintext: str):
    return client.post(
        reverse("solo-webhook", args=[subscription.receiver_id]),
        data=solo_encrypt(KEY, plaintext),
        content_type="text/plain",
    )


@pytest.mark.parametrize(
    "plaintext",
    [
        "[" * 1000 + "]" * 1000,
        '{"event": "appointment:scheduled", "data": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"event": "appointment:x", "data": {"appointmentId": ' + "[" * 40 + "]" * 40 + "}}",
    ],
    ids=["top-level", "in-data", "33-deep"],
)
def test_deeply_nested_json_inside_the_payload_is_400(client, subscription, plaintext):
    response = post(client, subscription, plaintext)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "malformed_request"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        '{"appointmentId": "abc"}',
        '{"appointmentId": 1.5}',
        '{"appointmentId": true}',
        '{"appointmentId": -4}',
        '{"appointmentId": "\\u0661\\u0662"}',  # Arabic-Indic digits
        '{"appointmentId": "12\\u0000"}',
        '{"appointmentId": 99999999999999999999999}',
        '{"appointmentId": {"id": 1}}',
        '{"patientId": 5}',  # an appointment event must name its appointment
    ],
)
def test_an_appointment_event_with_a_bad_id_is_400_and_stores_nothing(client, subscription, data):
    response = post(client, subscription, f'{{"event": "appointment:scheduled", "data": {data}}}')
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "malformed_request"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("episode:created", '{"episodeId": "a\\u0000b"}'),
        ("episode:created", '{"episodeId": "' + "e" * 65 + '"}'),
        ("patient:updated", '{"patientId": ["p"]}'),
        ("appointment\\u0000:scheduled", '{"appointmentId": 5}'),
    ],
)
def test_other_ids_and_events_holding_nul_or_junk_are_400(client, subscription, event, data):
    response = post(client, subscription, f'{{"event": "{event}", "data": {data}}}')
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "malformed_request"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("event", "data", "object_id"),
    [
        ("appointment:scheduled", '{"appointmentId": 3110360}', "3110360"),
        ("appointment:scheduled", '{"appointmentId": "3110360"}', "3110360"),
        ("episode:created", '{"episodeId": "bd43a830-6c0b", "patientId": "p-1"}', "bd43a830-6c0b"),
        ("patient:updated", '{"patientId": 12}', "12"),
    ],
)
def test_well_formed_ids_are_still_accepted(client, subscription, event, data, object_id):
    response = post(client, subscription, f'{{"event": "{event}", "data": {data}}}')
    assert response.status_code == HTTPStatus.ACCEPTED
    assert WebhookDelivery.objects.get().object_id == object_id


def stored_delivery(subscription, object_id):
    """A delivery stored as an older receiver could (before ids were checked on arrival)."""
    return WebhookDelivery.objects.create(
        subscription=subscription,
        digest=f"d-{object_id}",
        event="appointment:scheduled",
        object_id=object_id,
        payload={"event": "appointment:scheduled", "data": {"appointmentId": object_id}},
    )


def test_a_processing_failure_is_recorded_without_phi_and_retried_with_backoff(subscription):
    delivery = stored_delivery(subscription, "abc")
    assert tasks.solo_webhook_process(delivery.pk) == WebhookDelivery.Status.RETRYING
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.last_error.startswith("Processing error: ValueError at webhooks.py:")
    assert "abc" not in delivery.last_error  # the exception's text is never kept
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)
    # Not due yet: the sweep leaves it alone (before, it re-queued it every minute).
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        received_at=timezone.now() - timedelta(hours=1)
    )
    assert tasks.solo_webhook_deliveries_retry_due() == 0


def test_a_delivery_that_keeps_failing_ends_failed_after_bounded_attempts(subscription):
    delivery = stored_delivery(subscription, "abc")
    tasks.solo_webhook_process(delivery.pk)
    for _ in range(webhooks.MAX_ATTEMPTS - 1):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        tasks.solo_webhook_deliveries_retry_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (
        WebhookDelivery.Status.FAILED,
        webhooks.MAX_ATTEMPTS,
    )
    assert delivery.next_attempt_at is None
    assert tasks.solo_webhook_deliveries_retry_due() == 0


def test_admin_lists_the_error_and_next_attempt_and_filters_failed(client, ada, subscription):
    delivery = stored_delivery(subscription, "abc")
    tasks.solo_webhook_process(delivery.pk)
    client.force_login(ada)
    url = reverse("admin:appointments_webhookdelivery_changelist")
    page = client.get(url, {"status__exact": "retrying"}).content.decode()
    assert "Processing error: ValueError" in page
    assert "column-next_attempt_at" in page
    assert "Processing error" not in client.get(url, {"status__exact": "failed"}).content.decode()
