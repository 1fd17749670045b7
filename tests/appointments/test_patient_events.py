"""Solo's patient events change what staff see: the portal subscribes to every event seed 003
lists, applies patient:created|updated|deactivated by fetching the patient from Solo (Get
Patient with SPID), shows a patient deactivated in Solo as such and refuses to book them. An
event seed 003 does not list is recorded as ignored. In process: the deliveries are posted to
the receiver by the test client and processed by the real service."""

import logging
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse

from appointments.crypto import solo_encrypt_json
from appointments.models import Appointment, WebhookDelivery, WebhookSubscription
from appointments.services import webhooks
from portal.models import AuditEvent
from portal.sandbox import solo_appointments
from portal.sandbox import world as demo
from portal.sandbox.solo_common import WEBHOOK_EVENTS
from portal.sandbox.state import STORE
from tests.appointments.conftest import future_slot

pytestmark = pytest.mark.django_db

SOLO_EVENTS_IN_SEED_003 = [  # Add Webhook, "events: (enum) Select events to trigger webhook"
    "patient:created",
    "patient:updated",
    "patient:deactivated",
    "appointment:scheduled",
    "appointment:rescheduled",
    "appointment:cancelled",
    "appointment:completed",
    "appointment:incompleted",
    "appointment:no-show",
    "appointment:lwbs",
    "episode:created",
    "episode:updated",
]


@pytest.fixture
def subscription(org, solo_account):
    sub = webhooks.webhook_subscription_register(
        organization=org, base_url="https://portal.example"
    )
    # The sandbox would post its own events to https://portal.example: the tests post them.
    STORE.get("solo", "webhooks", sub.solo_id)["active"] = False
    return sub


def deliver(client, subscription, event, data):
    """Post one encrypted event to the receiver, then process it as the Celery task would."""
    body = solo_encrypt_json(subscription.encryption_key, {"event": event, "data": data})
    response = client.post(
        reverse("solo-webhook", args=[subscription.receiver_id]),
        data=body,
        content_type="text/plain",
    )
    assert response.status_code == HTTPStatus.ACCEPTED, response.content
    delivery = WebhookDelivery.objects.order_by("-id").first()
    webhooks.webhook_delivery_process(delivery=delivery)
    delivery.refresh_from_db()
    return delivery


def solo_set_active(patient, active: bool):
    """Solo's staff (de)activate the patient in Solo's own screens."""
    stored = STORE.get("solo", "patients", patient.solo_id)
    stored["active"] = active


def test_registering_subscribes_to_every_event_seed_003_lists(org, solo_account):
    assert list(WEBHOOK_EVENTS) == SOLO_EVENTS_IN_SEED_003  # the sandbox takes them all
    call_command("solo_register_webhook", org.slug, base_url="https://portal.example")
    sub = WebhookSubscription.objects.get(organization=org, is_active=True)
    assert sub.events == SOLO_EVENTS_IN_SEED_003
    assert STORE.get("solo", "webhooks", sub.solo_id)["events"] == SOLO_EVENTS_IN_SEED_003


def test_patient_deactivated_in_solo_is_fetched_applied_and_audited(
    client, subscription, solo_patient
):
    solo_set_active(solo_patient, False)
    delivery = deliver(
        client, subscription, "patient:deactivated", {"patientId": int(solo_patient.solo_spid)}
    )
    assert (delivery.status, delivery.object_id) == ("processed", str(solo_patient.solo_spid))
    solo_patient.refresh_from_db()
    assert solo_patient.solo_deactivated_at is not None
    assert solo_patient.is_active  # the portal's own flag is not Solo's
    assert AuditEvent.objects.filter(
        action="solo.patient.deactivated", patient=solo_patient
    ).exists()

    solo_set_active(solo_patient, True)
    deliver(client, subscription, "patient:updated", {"patientId": int(solo_patient.solo_spid)})
    solo_patient.refresh_from_db()
    assert solo_patient.solo_deactivated_at is None
    assert AuditEvent.objects.filter(
        action="solo.patient.reactivated", patient=solo_patient
    ).exists()


def test_a_repeated_patient_event_changes_nothing_twice(client, subscription, solo_patient):
    solo_set_active(solo_patient, False)
    spid = int(solo_patient.solo_spid)
    deliver(client, subscription, "patient:deactivated", {"patientId": spid})
    first = type(solo_patient).objects.get(pk=solo_patient.pk).solo_deactivated_at
    deliver(client, subscription, "patient:updated", {"patientId": spid})
    assert type(solo_patient).objects.get(pk=solo_patient.pk).solo_deactivated_at == first
    assert AuditEvent.objects.filter(action="solo.patient.deactivated").count() == 1


def test_a_patient_event_for_someone_the_portal_does_not_follow_is_ignored_unasked(
    client, subscription, solo_patient, faults
):
    stranger = demo.demo_patients()[41]  # in Solo, not in this organization's mirror
    faults.inject("solo", "error", count=1)  # any call to Solo would fail the delivery
    delivery = deliver(
        client, subscription, "patient:deactivated", {"patientId": stranger.solo_spid}
    )
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert faults.pending("solo") == 1


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("appointment:checked-in", {"appointmentId": 500}),  # not in seed 003's list
        ("patient:merged", {"patientId": 12}),
        ("invoice:paid", {"appointmentId": 500}),
    ],
)
def test_an_event_seed_003_does_not_list_is_ignored_without_asking_solo(
    client, subscription, faults, event, data
):
    faults.inject("solo", "error", count=1)  # any call to Solo would fail the delivery
    delivery = deliver(client, subscription, event, data)
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert faults.pending("solo") == 1
    assert not Appointment.objects.exists()


def test_booking_a_patient_deactivated_in_solo_is_refused_with_a_409_saying_why(
    api, org, rooms, solo_patient
):
    solo_set_active(solo_patient, False)
    solo_patient.solo_deactivated_at = solo_patient.created_at
    solo_patient.save()
    before = len(STORE.all("solo", "appointments"))
    response = api.post(
        "/api/v1/appointments",
        {
            "patient": solo_patient.pk,
            "waiting_room": "Cardiology Follow-up",
            "starts_at": future_slot(13, 10).isoformat(),
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    body = response.json()
    assert body["error"] == "patient_deactivated_in_solo"
    assert "deactivated in Solo" in body["message"]
    assert len(STORE.all("solo", "appointments")) == before  # Solo was not asked
    assert not Appointment.objects.exists()


def test_the_booking_page_says_why_and_refuses(client, bob, rooms, solo_patient):
    solo_patient.solo_deactivated_at = solo_patient.created_at
    solo_patient.save()
    client.force_login(bob)
    url = reverse("appointments:schedule", args=[solo_patient.pk])
    page = client.get(url, {"waiting_room": rooms["Nurse Triage"].pk, "day": "2099-01-01"})
    html = page.content.decode()
    assert "is deactivated in Solo" in html
    assert "Book visit" not in html  # no slot form
    posted = client.post(
        url,
        {
            "waiting_room": rooms["Nurse Triage"].pk,
            "slot": int(future_slot(13, 10).timestamp()),
        },
        follow=True,
    )
    assert "The visit was not booked. This patient is deactivated in Solo" in (
        posted.content.decode()
    )
    assert not Appointment.objects.exists()
    patient_page = client.get(reverse("patients:detail", args=[solo_patient.pk])).content.decode()
    assert "Deactivated in Solo" in patient_page


def test_unknown_payload_fields_are_accepted_not_stored_and_named_once_in_the_log(
    client, subscription, solo_patient, caplog
):
    caplog.set_level(logging.INFO, logger="appointments.solo_shapes")
    spid = int(solo_patient.solo_spid)
    for n in range(2):
        delivery = deliver(
            client,
            subscription,
            "patient:updated",
            {"patientId": spid, "patientName": f"Harriet Quimby {n}", "note": "a\u0000b"},
        )
        assert delivery.status == WebhookDelivery.Status.PROCESSED
        assert delivery.payload == {"event": "patient:updated", "data": {"patientId": spid}}
    named = [r for r in caplog.records if "patientName" in r.getMessage()]
    assert len(named) == 1  # once per process
    assert "Harriet" not in caplog.text


def test_unknown_fields_in_solos_answers_are_ignored(
    client, subscription, book, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="appointments.solo_shapes")
    visit = book()
    STORE.get("solo", "appointments", visit.solo_id)["status"] = "arrived"
    STORE.get("solo", "patients", visit.patient.solo_id)["active"] = False
    # Fields Solo might add one day, in the answers to Get Appointment and Get Patient.
    appointment_out, patient_out = solo_appointments.appointment_out, solo_appointments.patient_out
    monkeypatch.setattr(
        solo_appointments, "appointment_out", lambda a: {**appointment_out(a), "roomNumber": "B12"}
    )
    monkeypatch.setattr(
        solo_appointments, "patient_out", lambda p: {**patient_out(p), "favouriteColour": "teal"}
    )
    delivery = deliver(
        client, subscription, "appointment:scheduled", {"appointmentId": visit.solo_id}
    )
    spid = int(visit.patient.solo_spid)
    applied = deliver(client, subscription, "patient:updated", {"patientId": spid})
    assert (delivery.status, applied.status) == ("processed", "processed")
    visit.refresh_from_db()
    assert visit.status == "arrived"
    assert visit.patient.solo_deactivated_at is not None
    assert "roomNumber" in caplog.text
    assert "favouriteColour" in caplog.text
    assert "teal" not in caplog.text
