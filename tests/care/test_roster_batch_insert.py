"""A pull of history (figure 1) stays cheap at many patients: the roster trigger's batch path
writes only the state rows a batch changes (care 0013), and alert evaluation folds a batch's
breaches with a fixed number of queries plus one save per alert. The state still equals what
the facts give, and the alerts are the ones one-by-one evaluation opens."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from readings.alerts import alerts_evaluate_readings
from readings.care.models import RosterState
from readings.models import Alert, Reading
from tests.care.test_roster_state import bulk_create, noon, state_of
from tests.factories import PatientFactory
from tests.factories.care import patient_device


def _batch(patients, day, tag, hours=0, copies=1):
    rows = [
        Reading(
            organization=p.organization,
            patient=p,
            metric="heart_rate",
            value=70,
            unit="/min",
            measured_at=noon(day, p) - dt.timedelta(hours=hours, minutes=n),
            source="impilo",
            device=patient_device(p),
            source_record_id=f"{tag}-{p.pk}-{n}",
        )
        for p in patients
        for n in range(copies)
    ]
    bulk_create(rows)
    return rows


def _row_versions(patients) -> dict:
    """Where each state row's current version is (an UPDATE writes a new one; a lock does
    not): the test's writes share one transaction, so xmin would not tell."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT patient_id, ctid::text FROM care_rosterstate WHERE patient_id = ANY(%s)",
            [[p.pk for p in patients]],
        )
        return dict(cursor.fetchall())


def test_a_batch_that_changes_nothing_writes_no_state_row(org):
    patients = PatientFactory.create_batch(3, organization=org, time_zone="America/Chicago")
    _batch(patients, 3, "a")
    _batch(patients, 1, "b")
    before_state, before = state_of(org), _row_versions(patients)
    # Older than each last reading, on a day each period already counts: nothing changes.
    _batch(patients, 3, "c", hours=1)
    assert _row_versions(patients) == before
    assert state_of(org) == before_state
    # A new device day for one patient (two readings: the batch path) writes that row only.
    _batch(patients[:1], 2, "d", copies=2)
    after = _row_versions(patients)
    assert after[patients[0].pk] != before[patients[0].pk]
    assert {p.pk: after[p.pk] for p in patients[1:]} == {p.pk: before[p.pk] for p in patients[1:]}
    assert state_of(org)[patients[0].pk]["period_days"] == 3
    # A newer last reading (a manual one: no device day) is written too.
    latest = Reading.objects.create(
        organization=org,
        patient=patients[1],
        metric="weight",
        value=180,
        unit="[lb_av]",
        measured_at=noon(1, patients[1]) + dt.timedelta(hours=2),
        source="manual",
        manual=True,
    )
    state = state_of(org)
    assert state[patients[1].pk]["last_reading_id"] == latest.pk
    assert RosterState.objects.get(patient=patients[1]).last_reading_id == latest.pk


def _low_spo2(patients, tag, first):
    rows = [
        Reading(
            organization=p.organization,
            patient=p,
            metric="spo2",
            value=91,  # under the default 92 % warning
            unit="%",
            measured_at=noon(1, p) - dt.timedelta(minutes=first + n),
            source="impilo",
            device=patient_device(p),
            source_record_id=f"{tag}-{p.pk}-{n}",
        )
        for p in patients
        for n in range(2)
    ]
    bulk_create(rows)
    return rows


def _fold_queries(org, count, tag) -> int:
    patients = PatientFactory.create_batch(count, organization=org)
    alerts_evaluate_readings(readings=_low_spo2(patients, f"{tag}-open", 0))  # opens one each
    fresh = _low_spo2(patients, f"{tag}-fold", 10)
    with CaptureQueriesContext(connection) as queries:
        changed = alerts_evaluate_readings(readings=fresh)
    assert len(changed) == count
    for alert in Alert.objects.filter(patient__in=patients):
        assert alert.breach_count == 4
        assert alert.events.filter(action="breach").get().note == "2 more readings"
    return len(queries)


def test_folding_a_batch_costs_one_save_per_alert(org):
    two = _fold_queries(org, 2, "two")
    six = _fold_queries(org, 6, "six")
    assert six - two == 4  # one UPDATE of each further alert; the rest is per batch
