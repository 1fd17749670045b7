"""Care 0007: time entries logged in minutes become seconds, by the person who logged them,
with what they count toward decided by that person's role; an old "interactive" checkbox is
kept as a contact of unrecorded medium, never counted; the roster's month minutes follow."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from readings.care import selectors
from readings.care.models import TimeEntry
from tests import factories
from tests.factories import PatientFactory

BEFORE = [("care", "0006_roster_counts_stored_days")]  # just before care 0007


@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_minutes_become_seconds_by_a_named_person(org, alice, bob, petra):
    patient = PatientFactory(organization=org)
    key, _ = factories.api_key(org)
    today = dt.datetime.now(tz=patient.tz).date()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps.get_model("care", "TimeEntry")
        rows = [
            {"author_id": alice.pk, "minutes": 12, "interactive": True},
            {"author_id": bob.pk, "minutes": 10},
            {"author_id": petra.pk, "minutes": 30, "interpretation": True},
            {"author_id": alice.pk, "minutes": 30, "interpretation": True},
            {"api_key_id": key.pk, "minutes": 5},
        ]
        ids = [
            old.objects.create(organization_id=org.pk, patient_id=patient.pk, day=today, **row).pk
            for row in rows
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    got = {e.pk: e for e in TimeEntry.objects.all()}
    assert [
        (got[i].seconds, got[i].performed_by_id, got[i].activity, got[i].counts_toward) for i in ids
    ] == [
        (720, alice.pk, "data_review", "management"),
        (600, bob.pk, "data_review", "none"),  # a coordinator is not clinical staff
        (1800, petra.pk, "interpretation", "interpretation"),
        (1800, alice.pk, "interpretation", "none"),  # a nurse's interpretation: not 99091
        (300, None, "data_review", "none"),  # an API key named nobody
    ]
    assert (got[ids[0]].contact_medium, got[ids[0]].is_contact) == ("unrecorded", False)
    rows = selectors.roster_patients(org, selectors.RosterFilters())
    assert [p.month_minutes for p in rows if p.pk == patient.pk] == [12]
