"""Impilo `order.Status` webhooks (devices/webhooks.py has the decided shape): authenticated,
persisted before the answer, idempotent by event id, and the mirror follows the order at once
instead of at the next 30-minute sync. Seed 001: "When an order is processed, devices are
typically assigned either to a patient or a site. This assignment triggers a status update for
the order, which can be observed through the Impilo webhook workflows." """

import json
import time
from http import HTTPStatus

import pytest

from devices.models import DeviceAssignment, ImpiloWebhookDelivery
from devices.services.webhooks import impilo_webhook_register
from portal.sandbox.impilo_orders import sign
from portal.sandbox.state import STORE
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db  # the sandbox answers in process unless marked live

NOWHERE = "http://127.0.0.1:9"  # in process, the sandbox's own POST goes nowhere: we replay it


@pytest.fixture
def webhook(org, vendor_accounts):
    return impilo_webhook_register(organization=org, base_url=NOWHERE)


def order(impilo_account, **body):
    from devices.clients import ImpiloClient

    return ImpiloClient.for_organization(impilo_account.organization).json(
        "POST", "v1/orders", json=body
    )


def sent_events():
    wait_for(lambda: all(e["status"] is not None for e in STORE.outbox), timeout=10)
    return [e for e in STORE.outbox if e["event"] == "order.Status"]


def post(client, webhook, body: bytes, signature: str | None = None):
    signature = signature or sign(webhook.secret, body, int(time.time()))
    assert webhook.endpoint == f"{NOWHERE}/webhooks/impilo/{webhook.receiver_id}"
    return client.post(
        webhook.endpoint.removeprefix(NOWHERE),
        data=body,
        content_type="application/json",
        HTTP_IMPILO_SIGNATURE=signature,
    )


def event(**data):
    return {
        "id": "evt_test_1",
        "type": "order.Status",
        "createdAt": "2026-11-20T12:00:00Z",
        "data": {"orderId": 1, "status": "fulfilled", "devices": [], **data},
    }


def test_an_order_assigns_the_device_in_the_mirror_at_once(
    client, webhook, impilo_account, cuff, harriet, django_capture_on_commit_callbacks
):
    order(impilo_account, deviceIds=[cuff.impilo_device_id], patientId=harriet.impilo_patient_id)
    (sent,) = sent_events()
    assert set(json.loads(sent["body"])) == {"id", "type", "createdAt", "data"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, webhook, sent["body"], sent["headers"]["Impilo-Signature"])
    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json() == {"received": True, "duplicate": False}
    delivery = ImpiloWebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("processed", 1)
    cuff.refresh_from_db()
    assert (cuff.assigned_patient, cuff.current_status) == (harriet, "assigned")
    assert DeviceAssignment.objects.get(device=cuff).patient == harriet

    # Impilo redelivers the event (signed afresh): stored once, applied once.
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, webhook, sent["body"])
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert ImpiloWebhookDelivery.objects.count() == 1
    assert DeviceAssignment.objects.filter(device=cuff).count() == 1


def test_an_order_to_a_site_moves_the_device(
    client, webhook, impilo_account, boxed_cuff, demo_sites, django_capture_on_commit_callbacks
):
    order(impilo_account, deviceIds=[boxed_cuff.impilo_device_id], siteId=502)
    (sent,) = sent_events()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, webhook, sent["body"], sent["headers"]["Impilo-Signature"])
    boxed_cuff.refresh_from_db()
    assert (boxed_cuff.site, boxed_cuff.current_status) == (demo_sites[502], "availableAtSite")


def test_the_mirror_takes_impilos_state_not_the_events_copy(
    client, webhook, cuff, harriet, django_capture_on_commit_callbacks
):
    """An out-of-order or forged-looking copy in `data` changes nothing: the device is fetched."""
    body = json.dumps(
        event(devices=[{"id": cuff.impilo_device_id, "patientId": harriet.impilo_patient_id}])
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, webhook, body).status_code == HTTPStatus.ACCEPTED
    cuff.refresh_from_db()
    assert cuff.assigned_patient is None  # Impilo has it on the shelf still
    assert ImpiloWebhookDelivery.objects.get().status == "processed"


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=00", "v1=abc", "garbage", None],
)
def test_a_bad_or_missing_signature_is_401_and_stores_nothing(client, webhook, signature):
    body = json.dumps(event()).encode()
    if signature is None:  # right secret, but signed ten minutes ago: a replayed capture
        signature = sign(webhook.secret, body, int(time.time()) - 600)
    response = client.post(
        f"/webhooks/impilo/{webhook.receiver_id}",
        data=body,
        content_type="application/json",
        HTTP_IMPILO_SIGNATURE=signature,
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "bad_signature"
    assert not ImpiloWebhookDelivery.objects.exists()


def test_another_secret_is_refused(client, webhook):
    body = json.dumps(event()).encode()
    response = post(client, webhook, body, sign("not-the-secret", body, int(time.time())))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"type": "order.Status", "data": {"devices": []}}).encode(),  # no id
        json.dumps({**event(), "id": ""}).encode(),
        json.dumps({**event(), "data": "x"}).encode(),
        json.dumps(event(devices=[{"id": "80001"}])).encode(),
        json.dumps(event(devices="all")).encode(),
        json.dumps(event(devices=[{"id": 1}] * 501)).encode(),
        b"[" * 100 + b"]" * 100,
        json.dumps({**event(), "id": "a\u0000b"}).encode(),
    ],
)
def test_a_malformed_event_is_400_and_stores_nothing(client, webhook, body):
    response = post(client, webhook, body)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "malformed_request"
    assert not ImpiloWebhookDelivery.objects.exists()


def test_unknown_fields_are_ignored_and_other_event_types_stored_as_ignored(
    client, webhook, django_capture_on_commit_callbacks
):
    body = {**event(trackingNumber="1Z999"), "apiVersion": "2027-01", "id": "evt_extra"}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, webhook, json.dumps(body).encode()).status_code == 202
        other = {"id": "evt_ship", "type": "order.Shipped", "data": {"orderId": 1}}
        assert post(client, webhook, json.dumps(other).encode()).status_code == 202
    statuses = dict(ImpiloWebhookDelivery.objects.values_list("event_id", "status"))
    assert statuses == {"evt_extra": "ignored", "evt_ship": "ignored"}  # no device named


def test_unknown_receiver_is_404_and_a_large_body_413(client, webhook):
    body = json.dumps(event()).encode()
    webhook.is_active = False
    webhook.save()
    assert post(client, webhook, body).status_code == HTTPStatus.NOT_FOUND
    webhook.is_active = True
    webhook.save()
    big = json.dumps({**event(), "pad": "x" * 64 * 1024}).encode()
    assert post(client, webhook, big).status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_an_impilo_outage_leaves_the_delivery_retrying(
    client, webhook, cuff, faults, django_capture_on_commit_callbacks
):
    from portal.sandbox.state import FaultMode

    faults.inject("impilo", FaultMode.ERROR, count=4, path_contains="/v1/devices/")
    body = json.dumps(event(devices=[{"id": cuff.impilo_device_id}])).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, webhook, body).status_code == HTTPStatus.ACCEPTED
    delivery = ImpiloWebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("retrying", 1)
    assert delivery.next_attempt_at is not None
    from devices.services.webhooks import impilo_webhook_process

    assert impilo_webhook_process(delivery=delivery) == "processed"  # Impilo is back


@pytest.mark.live_sandbox  # the sandbox sends it over real HTTP to the live portal
def test_the_sandbox_delivers_order_status_to_the_live_receiver(
    live_server, org, impilo_account, cuff, harriet
):
    impilo_webhook_register(organization=org, base_url=live_server.url)
    order(impilo_account, deviceIds=[cuff.impilo_device_id], patientId=harriet.impilo_patient_id)
    (sent,) = sent_events()
    assert sent["status"] == HTTPStatus.ACCEPTED
    wait_for(
        lambda: ImpiloWebhookDelivery.objects.filter(status="processed").exists(),
        timeout=20,
        message="the order.Status delivery to be processed",
    )
    assert sent["status"] == HTTPStatus.ACCEPTED
    cuff.refresh_from_db()
    assert cuff.assigned_patient == harriet


def test_the_register_command_stores_the_secret_encrypted(org, vendor_accounts):
    from django.core.management import call_command
    from django.db import connection

    from devices.models import ImpiloWebhook

    call_command("impilo_register_webhook", org.slug, "--base-url", NOWHERE)
    webhook = ImpiloWebhook.objects.get(organization=org, is_active=True)
    assert webhook.event_types == ["order.Status"]
    hook = STORE.get("impilo", "webhooks", webhook.impilo_id)
    assert webhook.secret == hook["secret"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secrets FROM {ImpiloWebhook._meta.db_table}")  # noqa: S608
        assert hook["secret"] not in str(cursor.fetchall())  # encrypted at rest
