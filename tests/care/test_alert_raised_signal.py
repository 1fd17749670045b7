"""readings announces a new alert (or a raised severity) after commit through
`readings.signals.alert_raised`; care listens there instead of readings importing care."""

import datetime as dt

import pytest
from django.db import transaction

from readings.models import Alert
from readings.signals import alert_raised
from tests.factories import evaluated

pytestmark = pytest.mark.django_db(transaction=True)

AN_HOUR_AGO = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1)


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    alert_raised.connect(receiver, weak=False)
    yield calls
    alert_raised.disconnect(receiver)


def test_an_opened_alert_is_announced_once_after_commit(patient, heard):
    with transaction.atomic():
        evaluated(patient, "systolic", 165, at=AN_HOUR_AGO)
        assert heard == []  # not before commit
    alert = Alert.objects.get(patient=patient)
    assert heard == [
        {"signal": alert_raised, "alert_id": alert.pk, "severity": "warning", "reason": "opened"}
    ]
    evaluated(patient, "systolic", 166, at=AN_HOUR_AGO + dt.timedelta(minutes=5))
    assert len(heard) == 1  # a second breach of the same tier folds in silently
    evaluated(patient, "systolic", 185, at=AN_HOUR_AGO + dt.timedelta(minutes=10))
    assert heard[1:] == [
        {
            "signal": alert_raised,
            "alert_id": alert.pk,
            "severity": "critical",
            "reason": "severity_raised",
        }
    ]


def test_a_rolled_back_alert_is_never_announced(patient, heard):
    def ingest_then_fail():
        with transaction.atomic():
            evaluated(patient, "systolic", 190, at=AN_HOUR_AGO)
            raise RuntimeError("the ingestion failed after evaluation")

    with pytest.raises(RuntimeError):
        ingest_then_fail()
    assert not Alert.objects.exists()
    assert heard == []
