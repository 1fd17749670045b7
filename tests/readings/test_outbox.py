"""Manual readings reach the vendor through the outbox: retried until accepted, never twice."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from portal.sandbox import world as demo
from portal.sandbox.state import STORE
from readings import tasks
from readings.models import OutboxMessage, OutboxStatus
from readings.services.manual import manual_reading_record
from readings.services.outbox import outbox_deliver
from tests.conftest import wait_for
from tests.factories import PatientFactory

# The outbox hands a message to its delivery task on commit: the rows are committed (and the
# tables flushed afterwards), though the vendor still answers in process.
pytestmark = pytest.mark.django_db(transaction=True)

TAKEN = datetime(2026, 11, 20, 14, 15, tzinfo=UTC)


@pytest.fixture
def maria(org):
    """Demo patient 0, known to the Impilo and patient-graph sandboxes."""
    person = demo.demo_patients()[0]
    return PatientFactory(
        organization=org,
        impilo_patient_id=person.impilo_patient_id,
        patient_graph_id=person.patient_graph_id,
    )


def manual_readings_in_impilo():
    return [r for r in STORE.all("impilo", "readings") if r.get("manual")]


def test_a_manual_heart_rate_goes_to_impilo_once(alice, maria, vendor_accounts):
    (reading,) = manual_reading_record(
        patient=maria, metric="heart_rate", value=88, measured_at=TAKEN, by=alice
    )
    message = OutboxMessage.objects.get()
    assert (message.vendor, message.status, message.attempts) == ("impilo", "delivered", 1)
    (sent,) = manual_readings_in_impilo()
    assert (sent["heartRate"], sent["readingTimestamp"], sent["manual"]) == (
        88,
        "2026-11-20T14:15:00Z",
        True,
    )
    assert message.vendor_record_id == str(sent["id"])
    assert outbox_deliver(message_id=message.pk) == "skipped"  # delivered: never sent again
    assert len(manual_readings_in_impilo()) == 1
    assert reading.outbox.get() == message


def test_other_metrics_go_to_patient_graph(alice, maria, vendor_accounts):
    manual_reading_record(
        patient=maria, metric="systolic", value=150, second_value=95, measured_at=TAKEN, by=alice
    )
    metrics = STORE.all("patient_graph", "metrics")
    assert sorted((m["metric_key"], m["value_numeric"], m["source"]) for m in metrics) == [
        ("diastolic", "95", "manual"),
        ("systolic", "150", "manual"),
    ]
    assert OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 2


def test_an_outage_is_retried_until_impilo_accepts(alice, maria, vendor_accounts, faults):
    faults.inject("impilo", "unavailable", count=4)  # 1 try + 3 client retries, all 503
    manual_reading_record(patient=maria, metric="heart_rate", value=91, measured_at=TAKEN, by=alice)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING
    assert "did not answer" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert not manual_readings_in_impilo()

    assert tasks.outbox_retry_due.delay().get() == 0  # not due yet
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert tasks.outbox_retry_due.delay().get() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.DELIVERED, 2)
    assert len(manual_readings_in_impilo()) == 1


def test_a_lost_answer_is_not_applied_twice(alice, maria, vendor_accounts):
    """The vendor stored the reading but the answer never came back: the retry carries the
    same idempotency key, so Impilo answers with the first reading instead of a second one."""
    from readings.clients import ImpiloReadingsClient

    manual_reading_record(patient=maria, metric="heart_rate", value=77, measured_at=TAKEN, by=alice)
    message = OutboxMessage.objects.get()
    client = ImpiloReadingsClient.for_organization(maria.organization)
    replay = client.record_heart_rate_reading(
        message.payload, idempotency_key=str(message.idempotency_key)
    )
    assert str(replay["id"]) == message.vendor_record_id
    assert len(manual_readings_in_impilo()) == 1


def test_a_vendor_refusal_stops_retrying_and_says_why(alice, org, vendor_accounts):
    stranger = PatientFactory(organization=org, impilo_patient_id=31999)  # unknown to Impilo
    manual_reading_record(
        patient=stranger, metric="heart_rate", value=70, measured_at=TAKEN, by=alice
    )
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.REFUSED
    assert message.next_attempt_at is None
    assert "Patient 31999 not found" in message.last_error


@pytest.mark.worker
def test_a_real_worker_delivers_the_outbox(celery_worker_process, alice, maria, vendor_accounts):
    manual_reading_record(patient=maria, metric="heart_rate", value=84, measured_at=TAKEN, by=alice)
    wait_for(
        lambda: OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).exists(),
        message="the worker to deliver the outbox message",
    )
    assert [r["heartRate"] for r in manual_readings_in_impilo()] == [84]


def test_the_pull_does_not_store_our_own_manual_reading_again(alice, org, maria, vendor_accounts):
    from portal.sync import sync_run_start
    from readings.models import Reading
    from readings.sync import IMPILO_READINGS, impilo_readings_sync

    manual_reading_record(patient=maria, metric="heart_rate", value=88, measured_at=TAKEN, by=alice)
    impilo_readings_sync(run=sync_run_start(organization=org, kind=IMPILO_READINGS))
    assert list(
        Reading.objects.filter(metric="heart_rate", value=88).values_list("source", "manual")
    ) == [("manual", True)]
