"""Crash windows of the Solo writes: check, call Solo with no transaction open, then record.
A crash before the call leaves nothing; a crash after Solo accepted and before the record
converges (webhook, reconciliation or a repeat) on one visit, never two."""

import pytest
from django.db import transaction

from appointments import sync, tasks
from appointments.clients import SoloClient
from appointments.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from appointments.services import booking, webhooks
from appointments.services.common import VisitConflict
from portal.http import VendorError
from portal.models import AuditEvent
from portal.sandbox.state import STORE
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Crash(Exception):
    """The process dying at this point (nothing after it runs)."""


def crash(*args, **kwargs):
    raise Crash


def solo_visits_of(patient):
    return [a for a in STORE.all("solo", "appointments") if a["patientId"] == patient.solo_id]


@pytest.fixture
def subscription(org, solo_account, live_server):
    return webhooks.webhook_subscription_register(organization=org, base_url=live_server.url)


# --- booking ---------------------------------------------------------------------------------
def test_a_booking_that_dies_before_asking_solo_leaves_nothing_and_books_once_again(
    book, solo_patient, monkeypatch
):
    create = SoloClient.appointment_create
    monkeypatch.setattr(SoloClient, "appointment_create", crash)
    with pytest.raises(Crash):
        book()
    assert solo_visits_of(solo_patient) == []
    assert not Appointment.objects.exists()

    monkeypatch.setattr(SoloClient, "appointment_create", create)
    visit = book()
    assert [a["id"] for a in solo_visits_of(solo_patient)] == [visit.solo_id]
    assert Appointment.objects.count() == 1


def test_a_booking_that_dies_after_solo_accepted_converges_on_one_visit_through_the_webhook(
    book, rooms, solo_patient, bob, subscription, monkeypatch
):
    record = booking._appointment_store_booked
    monkeypatch.setattr(booking, "_appointment_store_booked", crash)
    with pytest.raises(Crash):
        book()
    [in_solo] = solo_visits_of(solo_patient)
    mirrored = wait_for(
        lambda: Appointment.objects.filter(solo_id=in_solo["id"]).first(),
        message="the appointment:scheduled webhook mirrored the visit",
    )
    assert mirrored.booked_by is None  # no booking has claimed it yet

    monkeypatch.setattr(booking, "_appointment_store_booked", record)
    visit = book()  # staff book the same slot again
    assert visit.pk == mirrored.pk
    assert (visit.booked_by, visit.waiting_room) == (bob, rooms["Cardiology Follow-up"])
    assert len(solo_visits_of(solo_patient)) == 1
    assert Appointment.objects.count() == 1


def test_a_repeat_before_the_webhook_is_refused_and_never_books_a_second_visit(
    org, book, solo_patient, monkeypatch
):
    record = booking._appointment_store_booked
    monkeypatch.setattr(booking, "_appointment_store_booked", crash)
    with pytest.raises(Crash):
        book()
    monkeypatch.setattr(booking, "_appointment_store_booked", record)
    with pytest.raises(VendorError) as caught:
        book()
    assert caught.value.status == 409  # the slot is taken: by the lost booking itself
    [in_solo] = solo_visits_of(solo_patient)
    assert not Appointment.objects.exists()

    # Its webhook arrives late (as the inbox would apply it); the next repeat adopts the visit.
    sync.appointment_sync_one(organization=org, solo_appointment_id=in_solo["id"])
    assert book().solo_id == in_solo["id"]
    assert len(solo_visits_of(solo_patient)) == 1
    assert Appointment.objects.count() == 1


# --- cancel ----------------------------------------------------------------------------------
def test_a_cancel_that_dies_before_asking_solo_changes_nothing_and_cancels_once_again(
    book, bob, monkeypatch
):
    visit = book()
    cancel = SoloClient.appointment_cancel
    monkeypatch.setattr(SoloClient, "appointment_cancel", crash)
    with pytest.raises(Crash):
        booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "scheduled"
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == (AppointmentStatus.SCHEDULED, "")

    monkeypatch.setattr(SoloClient, "appointment_cancel", cancel)
    booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CANCELLED
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "cancelled"
    assert visit.changes.filter(status=AppointmentStatus.CANCELLED).count() == 1


def test_a_cancel_that_dies_after_solo_accepted_is_recorded_once_when_repeated(
    book, bob, monkeypatch
):
    visit = book()
    record = booking._appointment_record_cancelled
    monkeypatch.setattr(booking, "_appointment_record_cancelled", crash)
    with pytest.raises(Crash):
        booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "cancelled"
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED  # the mirror has not heard yet

    monkeypatch.setattr(booking, "_appointment_record_cancelled", record)
    booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == ("cancelled", "Patient in hospital")
    cancelled = visit.changes.filter(status=AppointmentStatus.CANCELLED)
    assert [(c.source, c.by) for c in cancelled] == [(AppointmentChange.Source.PORTAL, bob)]
    assert AuditEvent.objects.filter(action="appointment.cancel").count() == 1
    assert Appointment.objects.count() == 1


def test_a_cancel_that_dies_after_solo_accepted_converges_through_the_reconciliation(
    book, bob, monkeypatch
):
    visit = book()
    monkeypatch.setattr(booking, "_appointment_record_cancelled", crash)
    with pytest.raises(Crash):
        booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)

    assert tasks.appointments_reconcile() == 1
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.CANCELLED
    with pytest.raises(VisitConflict, match="no longer be changed"):
        booking.appointment_cancel(appointment=visit, reason="Patient in hospital", by=bob)
    assert Appointment.objects.count() == 1


# --- webhook processing ----------------------------------------------------------------------
@pytest.fixture
def inbox(org, solo_account):
    """A subscription row only (Solo sends nothing to it): the tests store the deliveries."""
    return WebhookSubscription.objects.create(
        organization=org,
        endpoint="https://portal.example/webhooks/solo/x",
        events=webhooks.APPOINTMENT_EVENTS,
        secrets={"encryption_key": "39VNjjSpgoUWMbUhVCjAoQ=="},
    )


def test_two_workers_on_one_delivery_both_ask_solo_and_only_the_first_records_it(
    book, inbox, monkeypatch
):
    visit = book()
    # Solo completes the visit; its webhook is stored but not yet processed.
    STORE.put(
        "solo",
        "appointments",
        visit.solo_id,
        {**STORE.get("solo", "appointments", visit.solo_id), "status": "completed"},
    )
    delivery = WebhookDelivery.objects.create(
        subscription=inbox,
        digest="twin",
        event="appointment:completed",
        object_id=str(visit.solo_id),
        payload={"event": "appointment:completed", "data": {"appointmentId": visit.solo_id}},
    )
    fetch = webhooks._webhook_delivery_fetch
    raced = []

    def slow_first_worker(row, organization):
        answer = fetch(row, organization)
        if not raced:  # while the first worker waits for Solo, a redelivery runs in full
            raced.append("running")
            raced[0] = tasks.solo_webhook_process(delivery.pk)
        return answer

    monkeypatch.setattr(webhooks, "_webhook_delivery_fetch", slow_first_worker)
    assert tasks.solo_webhook_process(delivery.pk) == WebhookDelivery.Status.PROCESSED
    assert raced == [WebhookDelivery.Status.PROCESSED]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PROCESSED, 1)
    from_solo = AppointmentChange.objects.filter(appointment=visit, source="solo")
    assert [c.status for c in from_solo] == [AppointmentStatus.COMPLETED]


def test_a_worker_that_dies_between_solos_answer_and_the_record_leaves_the_row_received(
    book, inbox, monkeypatch
):
    visit = book()
    delivery = WebhookDelivery.objects.create(
        subscription=inbox,
        digest="dies",
        event="appointment:scheduled",
        object_id=str(visit.solo_id),
        payload={"event": "appointment:scheduled", "data": {"appointmentId": visit.solo_id}},
    )
    record = webhooks._webhook_delivery_record

    def dies_before_recording(row, outcome, *args):
        if outcome is webhooks._applied:
            raise SystemExit  # not an Exception: the process is gone, nothing is recorded
        return record(row, outcome, *args)

    monkeypatch.setattr(webhooks, "_webhook_delivery_record", dies_before_recording)
    with pytest.raises(SystemExit):
        tasks.solo_webhook_process(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.RECEIVED, 0)

    monkeypatch.setattr(webhooks, "_webhook_delivery_record", record)
    assert tasks.solo_webhook_process(delivery.pk) == WebhookDelivery.Status.PROCESSED
    delivery.refresh_from_db()
    assert delivery.attempts == 1


# --- the guard -------------------------------------------------------------------------------
def test_the_guard_catches_a_solo_call_inside_a_transaction(
    org, solo_account, no_solo_call_in_a_transaction
):
    with transaction.atomic():
        sync.waiting_rooms_sync(organization=org)
    assert [v.split(" at ")[0] for v in no_solo_call_in_a_transaction] == [
        "Solo GET qapi/v1/waiting-rooms"
    ]
    no_solo_call_in_a_transaction.clear()  # seen; the test itself must not fail at teardown
