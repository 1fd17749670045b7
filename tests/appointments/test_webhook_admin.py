"""Webhook subscriptions in Django admin go through Solo: add (Add Webhook POST), change
(Update Webhook PUT) and delete (Delete Webhook DELETE), none inside the admin's transaction
(the autouse guard in conftest fails a test that calls Solo inside one); Solo's refusals are
admin messages and the row stays as it was; "Check with Solo" reads Webhooks Collection and
Get Webhook."""

from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from appointments.models import WebhookSubscription
from appointments.services import webhooks
from portal.sandbox.state import STORE

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:appointments_webhooksubscription_changelist"


@pytest.fixture
def subscription(org, solo_account):
    return webhooks.webhook_subscription_register(
        organization=org, base_url="https://portal.example", events=["appointment:scheduled"]
    )


@pytest.fixture
def admin_client(client, ada):
    client.force_login(ada)
    return client


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def change(admin_client, subscription, events: str):
    return admin_client.post(
        reverse("admin:appointments_webhooksubscription_change", args=[subscription.pk]),
        {"events": events},
    )


def test_changing_the_events_updates_the_webhook_in_solo(admin_client, subscription):
    response = change(admin_client, subscription, '["patient:deactivated", "appointment:lwbs"]')
    assert response.status_code == HTTPStatus.FOUND, response.content[:2000]
    held = STORE.get("solo", "webhooks", subscription.solo_id)
    assert held["events"] == ["patient:deactivated", "appointment:lwbs"]
    assert held["endpoint"] == subscription.endpoint
    subscription.refresh_from_db()
    assert subscription.events == ["patient:deactivated", "appointment:lwbs"]


def test_a_change_solo_refuses_is_a_message_and_the_row_keeps_its_events(
    admin_client, subscription, faults
):
    held = STORE.get("solo", "webhooks", subscription.solo_id)
    held["active"] = False  # deleted in Solo by someone else: Update Webhook answers 404
    response = change(admin_client, subscription, '["patient:deactivated"]')
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.endswith(f"/{subscription.pk}/change/")  # back to the form
    assert said(response) == ["Not changed. Solo refused the request: Webhook not found"]
    subscription.refresh_from_db()
    assert subscription.events == ["appointment:scheduled"]
    assert held["events"] == ["appointment:scheduled"]


def test_an_event_solo_does_not_send_is_refused_in_the_form(admin_client, subscription):
    response = change(admin_client, subscription, '["appointment:checked-in"]')
    assert response.status_code == HTTPStatus.OK
    assert "Not a Solo event: appointment:checked-in" in response.content.decode()


def test_an_add_solo_refuses_is_a_message_and_stores_nothing(
    admin_client, org, solo_account, faults
):
    faults.inject("solo", "unavailable", count=10, path_contains="/webhooks")
    response = admin_client.post(
        reverse("admin:appointments_webhooksubscription_add"),
        {"organization": org.pk, "events": '["patient:deactivated"]'},
    )
    assert response.status_code == HTTPStatus.FOUND
    [message] = said(response)
    assert message.startswith("Not registered. Solo did not answer")
    assert not WebhookSubscription.objects.exists()


def test_deleting_deletes_the_webhook_in_solo(admin_client, subscription):
    url = reverse("admin:appointments_webhooksubscription_delete", args=[subscription.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    assert STORE.get("solo", "webhooks", subscription.solo_id)["active"] is False
    subscription.refresh_from_db()
    assert not subscription.is_active


def test_a_delete_solo_refuses_is_a_message_and_the_subscription_stays(
    admin_client, subscription, faults
):
    faults.inject("solo", "error", count=10, path_contains="/webhooks/")  # retries too
    url = reverse("admin:appointments_webhooksubscription_delete", args=[subscription.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.endswith(f"/{subscription.pk}/change/")
    assert said(response)[0].startswith("Not deleted. Solo did not answer")
    subscription.refresh_from_db()
    assert subscription.is_active
    assert STORE.get("solo", "webhooks", subscription.solo_id)["active"] is True


def check(admin_client, subscription):
    return admin_client.post(
        reverse(CHANGELIST),
        {"action": "check_with_solo", "_selected_action": [subscription.pk]},
        follow=True,
    )


def test_check_shows_what_solo_holds(admin_client, subscription):
    response = check(admin_client, subscription)
    assert response.status_code == HTTPStatus.OK
    [message] = said(response)
    assert message == (
        f"Webhook {subscription.solo_id}: Solo holds it as stored — {subscription.endpoint}; "
        "events: appointment:scheduled."
    )
    assert subscription.encryption_key not in response.content.decode()


def test_check_names_each_difference(admin_client, subscription):
    held = STORE.get("solo", "webhooks", subscription.solo_id)
    held["events"] = ["appointment:scheduled", "patient:updated"]  # changed in Solo, not here
    held["encryptionKey"] = "c29tZXRoaW5nIGVsc2U="
    [message] = said(check(admin_client, subscription))
    assert message == (
        f"Webhook {subscription.solo_id}: differs from Solo: events in Solo are "
        "appointment:scheduled, patient:updated; Solo's encryption key differs from the stored "
        "one."
    )


def test_check_of_a_webhook_solo_no_longer_holds(admin_client, subscription):
    STORE.get("solo", "webhooks", subscription.solo_id)["active"] = False
    [message] = said(check(admin_client, subscription))
    assert message == (
        f"Webhook {subscription.solo_id}: Solo holds no such webhook (not listed among its 0); "
        "register it again."
    )


def test_check_while_solo_is_down_says_so(admin_client, subscription, faults):
    faults.inject("solo", "unavailable", count=10, path_contains="/webhooks")  # retries too
    [message] = said(check(admin_client, subscription))
    assert message.startswith(f"Webhook {subscription.solo_id}: not checked. Solo did not answer")


def test_another_organizations_subscription_is_not_checked(
    admin_client, other_org, vendor_accounts, subscription
):
    theirs = WebhookSubscription.objects.create(
        organization=other_org, endpoint="https://x.example/w", events=[], solo_id="theirs"
    )
    assert said(check(admin_client, theirs)) == []  # not in ada's list: nothing checked
