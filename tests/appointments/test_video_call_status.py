"""Solo's `videoCall.status` is stored (webhook fetches and syncs), shown on the visit and in
the day/week list, and decides — with the appointment's status — whether a visit took place:
the contact care's billing and time log read (`appointments.selectors.visits_taken_place`)."""

import datetime as dt
import itertools
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appointments import selectors, tasks
from appointments.crypto import solo_encrypt_json
from appointments.models import Appointment, AppointmentStatus, VideoCallStatus, WebhookDelivery
from appointments.services import webhooks
from portal.sandbox.state import STORE
from readings.care import selectors as care_selectors
from tests.factories import PatientFactory, entry

_solo_ids = itertools.count(800001)


@pytest.fixture
def subscription(org, solo_account):
    sub = webhooks.webhook_subscription_register(
        organization=org, base_url="https://portal.example"
    )
    STORE.get("solo", "webhooks", sub.solo_id)["active"] = False  # the test posts the events
    return sub


def deliver(client, subscription, event, appointment_id):
    body = solo_encrypt_json(
        subscription.encryption_key, {"event": event, "data": {"appointmentId": appointment_id}}
    )
    url = reverse("solo-webhook", args=[subscription.receiver_id])
    assert client.post(url, data=body, content_type="text/plain").status_code == 202
    delivery = WebhookDelivery.objects.order_by("-id").first()
    webhooks.webhook_delivery_process(delivery=delivery)
    return delivery


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call", "event", "shown"),
    [
        ("LWBS", "appointment:lwbs", "Left without being seen"),
        ("incomplete", "appointment:incompleted", "Video call incomplete"),
    ],
)
def test_lwbs_and_incompleted_store_the_call_and_show_it(
    client, bob, subscription, book, solo, api, call, event, shown
):
    visit = book()
    solo.json("POST", f"_appointments/{visit.solo_id}/status", json={"videoCall": call})
    assert deliver(client, subscription, event, visit.solo_id).status == "processed"
    visit.refresh_from_db()
    assert visit.video_call_status == call
    assert not visit.took_place
    assert visit.changes.last().note == f"Updated from Solo: {shown.lower()}"
    client.force_login(bob)
    day = visit.starts_at.astimezone(visit.patient.tz).date().isoformat()
    for span in ("today", "week"):
        listed = client.get(reverse("appointments:list"), {"range": span, "day": day})
        assert shown in listed.content.decode()
    page = client.get(reverse("appointments:detail", args=[visit.pk]))
    assert page.status_code == HTTPStatus.OK
    assert shown in page.content.decode()
    body = api.get(f"/api/v1/appointments/{visit.pk}").json()  # and to integrators
    assert (body["video_call_status"], body["took_place"]) == (call, False)


@pytest.mark.django_db
def test_the_reconciliation_sync_fills_the_call_too(book, solo):
    visit = book()  # no webhook: Solo's change is "missed" and the sweep catches it
    solo.json(
        "POST",
        f"_appointments/{visit.solo_id}/status",
        json={"status": "completed", "videoCall": "complete"},
    )
    assert tasks.appointments_reconcile() == 1
    visit.refresh_from_db()
    assert (visit.status, visit.video_call_status) == ("completed", "complete")
    assert visit.took_place


@pytest.mark.django_db
def test_a_call_status_seed_003_does_not_list_is_stored_empty(subscription, client, book):
    visit = book()
    STORE.get("solo", "appointments", visit.solo_id)["videoCall"] = {"id": "v", "status": "odd"}
    assert deliver(client, subscription, "appointment:completed", visit.solo_id).status == (
        "processed"
    )
    visit.refresh_from_db()
    assert visit.video_call_status == ""


# --- what took place: the rule, and care's billing and time log reading it --------------------
def visit_at(patient, status, call, at=dt.datetime(2026, 10, 8, 15, tzinfo=dt.UTC)):
    return Appointment.objects.create(
        organization=patient.organization,
        patient=patient,
        solo_id=next(_solo_ids),
        starts_at=at,
        status=status,
        video_call_status=call,
    )


CASES = [
    (AppointmentStatus.COMPLETED, "", True),  # no call reported: the status decides
    (AppointmentStatus.COMPLETED, VideoCallStatus.COMPLETE, True),
    (AppointmentStatus.SIGNED_OFF, VideoCallStatus.FINALIZING, True),
    (AppointmentStatus.DISCHARGE_READY, VideoCallStatus.COMPLETE, True),  # the call ended
    (AppointmentStatus.COMPLETED, VideoCallStatus.LWBS, False),  # closed, nobody seen
    (AppointmentStatus.COMPLETED, VideoCallStatus.INCOMPLETE, False),
    (AppointmentStatus.ARRIVED, VideoCallStatus.WAITING, False),
    (AppointmentStatus.NO_SHOW, "", False),
]


@pytest.mark.both_databases
@pytest.mark.django_db
@pytest.mark.parametrize(("status", "call", "took_place"), CASES)
def test_the_selector_and_the_property_agree_on_what_took_place(org, status, call, took_place):
    patient = PatientFactory(organization=org)
    visit = visit_at(patient, status, call)
    assert visit.took_place is took_place
    assert selectors.visits_taken_place().filter(pk=visit.pk).exists() is took_place


@pytest.mark.both_databases
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("call", "codes"), [(VideoCallStatus.COMPLETE, ["99470"]), (VideoCallStatus.LWBS, [])]
)
def test_billing_counts_a_visit_left_without_being_seen_as_no_contact(org, alice, call, codes):
    patient = PatientFactory(
        organization=org, time_zone="America/Chicago", monitoring_started_on=dt.date(2026, 10, 1)
    )
    visit_at(patient, AppointmentStatus.COMPLETED, call)
    entry(patient, alice, minutes=12, day=dt.date(2026, 10, 5))  # reviewing readings
    later = dt.datetime(2026, 12, 15, tzinfo=dt.UTC)
    line = care_selectors.billing_lines([patient], dt.date(2026, 10, 1), now=later)[0]
    assert line.code_names == codes


@pytest.mark.both_databases
@pytest.mark.django_db
def test_time_cannot_be_logged_to_a_visit_left_without_being_seen(org, alice):
    patient = PatientFactory(organization=org)
    lwbs = visit_at(patient, AppointmentStatus.COMPLETED, VideoCallStatus.LWBS)
    with pytest.raises(ValidationError, match="has not happened"):
        entry(
            patient,
            alice,
            minutes=15,
            activity="call",
            contact_medium="video",
            contact_with="patient",
            appointment=lwbs,
            day=dt.date(2026, 10, 8),
        )
