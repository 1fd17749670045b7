"""Solo webhooks end to end: the sandbox posts encrypted events to /webhooks/solo/<id> over
real HTTP; the portal persists, acknowledges, then processes by fetching from Solo."""

import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
import requests
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from appointments import tasks
from appointments.clients import SoloClient
from appointments.crypto import solo_encrypt_json
from appointments.models import Appointment, AppointmentStatus, WebhookDelivery, WebhookSubscription
from appointments.services import webhooks
from portal.sandbox import world as demo
from portal.sandbox.state import STORE
from tests.appointments.conftest import future_slot
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def subscription(org, solo_account, live_server):
    return webhooks.webhook_subscription_register(organization=org, base_url=live_server.url)


def post(live_server, subscription, body: str):
    url = live_server.url + reverse("solo-webhook", args=[subscription.receiver_id])
    return requests.post(url, data=body.encode(), timeout=10)


def event(subscription, kind, appointment_id, key=None):
    return solo_encrypt_json(
        key or subscription.encryption_key,
        {"event": kind, "data": {"appointmentId": appointment_id}},
    )


def test_registering_stores_the_key_encrypted_and_solo_lists_the_endpoint(
    org, solo_account, live_server
):
    call_command("solo_register_webhook", org.slug, base_url=live_server.url)
    sub = WebhookSubscription.objects.get(organization=org, is_active=True)
    hooks = STORE.all("solo", "webhooks")
    assert [h["endpoint"] for h in hooks] == [sub.endpoint]
    assert sub.endpoint.startswith(live_server.url + "/webhooks/solo/")
    assert sub.encryption_key == hooks[0]["encryptionKey"]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT secrets FROM appointments_webhooksubscription WHERE id = %s", [sub.pk]
        )
        raw = cursor.fetchone()[0]
    assert hooks[0]["encryptionKey"] not in raw


def test_a_booking_in_solo_arrives_as_a_webhook_and_is_processed(subscription, book):
    visit = book()
    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(
            event="appointment:scheduled", status=WebhookDelivery.Status.PROCESSED
        ).first(),
        message="scheduled webhook processed",
    )
    assert delivery.object_id == str(visit.solo_id)
    assert delivery.payload == {
        "event": "appointment:scheduled",
        "data": {"appointmentId": visit.solo_id},
    }
    assert Appointment.objects.count() == 1


def test_a_status_change_made_in_solo_reaches_the_mirror(subscription, book, solo):
    visit = book()
    solo.json(
        "POST", f"_appointments/{visit.solo_id}/status", json={"status": "completed"}
    )  # a clinician finishes the visit in Solo
    wait_for(
        lambda: Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.COMPLETED,
        message="completed in the mirror",
    )
    assert Appointment.objects.get(pk=visit.pk).changes.last().source == "solo"


def test_a_replayed_delivery_changes_nothing(subscription, book, live_server):
    book()
    wait_for(lambda: STORE.outbox and STORE.outbox[0]["status"] == 202, message="delivered")
    before = (WebhookDelivery.objects.count(), Appointment.objects.get().changes.count())
    replay = post(live_server, subscription, STORE.outbox[0]["body"])
    assert replay.status_code == HTTPStatus.OK
    assert replay.json() == {"received": True, "duplicate": True}
    assert (WebhookDelivery.objects.count(), Appointment.objects.get().changes.count()) == before


def test_a_payload_encrypted_with_another_key_is_refused_and_not_stored(
    subscription, live_server, caplog
):
    body = event(subscription, "appointment:scheduled", 500, key="39VNjjSpgoUWMbUhVCjAoQ==")
    response = post(live_server, subscription, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "bad_request"
    for garbage in ("", "not encrypted at all", "{}"):
        assert post(live_server, subscription, garbage).status_code == HTTPStatus.BAD_REQUEST
    not_an_event = solo_encrypt_json(subscription.encryption_key, {"hello": "world"})
    assert post(live_server, subscription, not_an_event).status_code == HTTPStatus.BAD_REQUEST
    assert not WebhookDelivery.objects.exists()
    assert body not in caplog.text


def test_an_unknown_receiver_is_404(live_server, subscription):
    url = live_server.url + reverse("solo-webhook", args=[uuid.uuid4()])
    assert requests.post(url, data=b"x", timeout=5).status_code == HTTPStatus.NOT_FOUND


def test_cancelled_arriving_before_scheduled_leaves_the_visit_cancelled(
    org, solo_account, solo_patient, live_server, sandbox_url
):
    solo = SoloClient(f"{sandbox_url}/solo/", secrets={"api_key": demo.SOLO_API_KEY})
    start = int(future_slot(13, 15).timestamp())
    created = solo.appointment_create(
        solo_patient.solo_id, {"waitingRoom": "RPM Check-in", "date": start}
    )
    solo.appointment_cancel(created["id"])  # both happened in Solo before we heard of either
    sub = webhooks.webhook_subscription_register(organization=org, base_url=live_server.url)
    cancelled = post(live_server, sub, event(sub, "appointment:cancelled", created["id"]))
    scheduled = post(live_server, sub, event(sub, "appointment:scheduled", created["id"]))
    assert (cancelled.status_code, scheduled.status_code) == (202, 202)
    visit = Appointment.objects.get(solo_id=created["id"])
    assert visit.patient == solo_patient
    assert visit.status == AppointmentStatus.CANCELLED
    assert visit.starts_at.timestamp() == start
    assert visit.changes.count() == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"processed"}


def test_a_solo_outage_while_processing_is_retried_later_and_nothing_is_lost(
    subscription, solo_patient, live_server, faults, sandbox_url
):
    solo = SoloClient(f"{sandbox_url}/solo/", secrets={"api_key": demo.SOLO_API_KEY})
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=True)
    STORE.get("solo", "webhooks", subscription.solo_id)["active"] = False  # we post by hand
    created = solo.appointment_create(
        solo_patient.solo_id,
        {"waitingRoom": "RPM Check-in", "date": int(future_slot(13, 16).timestamp())},
    )
    faults.inject("solo", "error", count=4, path_contains=f"/appointments/{created['id']}")
    response = post(
        live_server, subscription, event(subscription, "appointment:scheduled", created["id"])
    )
    assert response.status_code == HTTPStatus.ACCEPTED  # persisted, acknowledged
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > timezone.now()
    assert "500" in delivery.last_error
    assert not Appointment.objects.exists()
    assert tasks.solo_webhook_deliveries_retry_due() == 0  # not due yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert tasks.solo_webhook_deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PROCESSED, 2)
    assert Appointment.objects.get().solo_id == created["id"]


def test_events_for_patients_the_portal_does_not_follow_are_ignored(subscription, live_server):
    other = demo.demo_patients()[40]  # in the sandbox, not in this organization
    STORE.put(
        "solo",
        "appointments",
        777,
        {**STORE.get("solo", "appointments", 500), "id": 777, "patientId": other.solo_id},
    )
    post(live_server, subscription, event(subscription, "appointment:scheduled", 777))
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.IGNORED
    assert not Appointment.objects.exists()


@pytest.mark.worker
def test_a_real_worker_processes_webhooks(celery_worker_process, subscription, book):
    visit = book()
    wait_for(
        lambda: WebhookDelivery.objects.filter(
            object_id=str(visit.solo_id), status=WebhookDelivery.Status.PROCESSED
        ).exists(),
        timeout=30,
        message="worker processed the delivery",
    )


def test_an_org_admin_registers_the_webhook_from_django_admin(
    client, ada, org, solo_account, settings, live_server
):
    settings.PORTAL_BASE_URL = live_server.url
    client.force_login(ada)
    response = client.post(
        reverse("admin:appointments_webhooksubscription_add"),
        {"organization": org.pk, "events": '["appointment:scheduled"]', "is_active": "on"},
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    sub = WebhookSubscription.objects.get(organization=org)
    assert sub.events == ["appointment:scheduled"]
    assert STORE.get("solo", "webhooks", sub.solo_id)["endpoint"] == sub.endpoint
    assert sub.encryption_key


def test_an_oversized_body_is_refused_without_storing(subscription, live_server):
    response = post(live_server, subscription, "A" * (64 * 1024 + 1))
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert not WebhookDelivery.objects.exists()


def test_episode_events_update_the_mirror(org, solo_account, solo_patient, live_server, solo):
    from appointments.models import Episode

    webhooks.webhook_subscription_register(
        organization=org, base_url=live_server.url, events=["episode:created", "episode:updated"]
    )
    created = solo.episode_create(
        solo_patient.solo_id,
        {"name": "covid care", "type": "covid", "from": "2023-03-29", "status": "ACTIVE"},
    )
    episode = wait_for(
        lambda: Episode.objects.filter(solo_id=created["episodeId"]).first(),
        message="episode mirrored",
    )
    assert (episode.patient, episode.status) == (solo_patient, "active")
    solo.episode_update(
        created["episodeId"],
        {"name": "covid care", "type": "covid", "from": "2023-03-29", "status": "FINISHED"},
    )
    wait_for(
        lambda: Episode.objects.get(pk=episode.pk).status == "finished", message="episode updated"
    )


def test_the_reconcile_sweep_catches_a_missed_change(book, solo):
    visit = book()  # no webhook registered: Solo's change below is "missed"
    solo.json("POST", f"_appointments/{visit.solo_id}/status", json={"status": "arrived"})
    assert tasks.appointments_reconcile() == 1
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.ARRIVED
