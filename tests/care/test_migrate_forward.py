"""The data migrations, run forward over a database that holds rows written before each of them:
nothing is lost and every row comes out as the latest models expect it.

One journey serves the five cases here: the database goes back once, to the oldest schema a
case needs (care 0002), then forward, stopping at each case's "before" point, where the case
writes its rows through the models of that time, and on to the latest migration; then each case
reads its outcome. Each case has its own organization, so none sees another's rows. Django
renders every model's state for each migration it applies or unapplies (~10-25 s for a round
trip of this project's); one journey costs one round trip where five separate tests cost five.

The cases, in the order the journey meets them:
- roster (care 0003): the roster's state table is backfilled for patients that existed before
  it, counting a reading stored before its day was (readings 0006) and minutes logged before
  they were seconds (care 0007);
- move (readings 0004, care 0004: state only): thresholds and alerts written by the care
  models before the move are read back through readings' models after it, and the permissions
  granted on the moved models still hold;
- days (readings 0006): readings stored before their local day was get it by the same rules as
  a new reading (the offset sent, else the patient's zone; transmitted only by the device then
  assigned to the patient, never manual); also on SQLite, where the journey holds it alone;
- weight (readings 0007): an organization still on the old default (4.4 lb in 3 days) gets the
  heart-failure defaults, 3 lb in 1 day and 5 lb in 7 days (the old row kept, superseded); one
  that changed it keeps its own; a weight-gain alert already raised takes its rule's window
  into its key, so a later breach of that rule folds into it;
- time (care 0007): time entries logged in minutes become seconds, by the person who logged
  them, with what they count toward decided by that person's role; an old "interactive"
  checkbox is kept as a contact of unrecorded medium, never counted; the roster's month minutes
  follow.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from devices.models import DeviceAssignment
from portal.models import Role
from readings.care import selectors
from readings.care.models import TimeEntry
from readings.care.selectors import roster
from readings.models import Alert, AlertEvent, AlertReading, Reading, ThresholdRule
from tests import factories
from tests.care.test_device_days import at
from tests.care.test_roster_state import columns
from tests.factories import OrganizationFactory, PatientFactory, reading
from tests.factories.care import patient_device

# The tests read the fixture's plain values; the mark has pytest-django set the database up
# (it sets up only the databases that marked tests ask for).
pytestmark = [pytest.mark.heavy, pytest.mark.django_db]

ROSTER = "roster"
MOVE = "move"
DAYS = "days"
WEIGHT = "weight"
TIME = "time"


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def _applied_state():
    """The models as the migrations applied now have them (every app)."""
    loader = MigrationExecutor(connection).loader
    applied = [node for node in loader.applied_migrations if node in loader.graph.nodes]
    return loader.project_state(applied).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _staff(org, role, name):
    return factories.staff(org, role, username=f"{name}-{org.slug}", first_name=name.title())


# --- roster: care 0003 backfills the state of patients it finds ---------------------------
class Roster:
    before = [("care", "0002_reading_latest_index")]
    on_sqlite = False

    def prepare(self):
        self.org = OrganizationFactory(slug="before-roster-state")
        self.alice = _staff(self.org, Role.NURSE, "alice")

    def write(self, old):
        self.patient = PatientFactory(organization=self.org)  # no trigger: no state table yet
        # a reading as stored before its day was (readings 0006 backfills it)
        old.get_model("readings", "Reading").objects.create(
            organization_id=self.org.pk,
            patient_id=self.patient.pk,
            metric="systolic",
            value=120,
            unit="mm[Hg]",
            measured_at=timezone.now() - dt.timedelta(days=2),
            source="impilo",
            source_record_id="before-0005",
            device_id=patient_device(self.patient).pk,
        )
        # the time entry as that schema holds it (minutes; care 0007 makes them seconds)
        old.get_model("care", "TimeEntry").objects.create(
            organization_id=self.org.pk,
            patient_id=self.patient.pk,
            author_id=self.alice.pk,
            day=dt.datetime.now(tz=self.patient.tz).date(),
            minutes=7,
        )

    def outcome(self):
        now = timezone.now()
        return {
            "maintained": columns(roster._roster_from_state(self.org, now)),
            "computed": columns(selectors.roster_patients_computed(self.org, now=now)),
            "patient": self.patient.pk,
        }


# --- move: thresholds and alerts from care to readings (readings 0004, care 0004) ---------
class Move:
    before = [
        ("care", "0003_roster_state"),
        ("readings", "0003_impilo_once_per_device_instant"),
    ]
    on_sqlite = False

    def prepare(self):
        self.org = OrganizationFactory(slug="before-the-move")
        self.patient = PatientFactory(organization=self.org)
        self.breach = reading(
            self.patient, "systolic", 190, at=dt.datetime(2026, 10, 5, 14, tzinfo=dt.UTC)
        )

    def write(self, old):
        org, patient, breach = self.org, self.patient, self.breach
        self.rule = old.get_model("care", "ThresholdRule").objects.create(
            organization_id=org.pk,
            patient_id=patient.pk,
            kind="single",
            metric="systolic",
            direction="above",
            value=170,
            severity="critical",
            reason="Known hypertensive",
            created_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        )
        self.alert = old.get_model("care", "Alert").objects.create(
            organization_id=org.pk,
            patient_id=patient.pk,
            rule_id=self.rule.pk,
            rule_key="single:systolic:above",
            rule_text="Systolic BP at or above 170 mmHg",
            kind="single",
            metric="systolic",
            severity="critical",
            status="acknowledged",
            breach_count=1,
            first_triggered_at=breach.measured_at,
            last_triggered_at=breach.measured_at,
        )
        old.get_model("care", "AlertReading").objects.create(
            alert_id=self.alert.pk,
            reading_id=breach.pk,
            patient_id=patient.pk,
            rule_key=self.alert.rule_key,
        )
        old.get_model("care", "AlertEvent").objects.create(
            alert_id=self.alert.pk, action="acknowledged", note="Called the patient"
        )
        care_alert = old.get_model("contenttypes", "ContentType").objects.get(
            app_label="care", model="alert"
        )
        self.care_alert_type = care_alert.pk
        permission = old.get_model("auth", "Permission").objects.get(
            content_type=care_alert, codename="view_alert"
        )
        old.get_model("auth", "Group").objects.create(name="Alert readers").permissions.add(
            permission
        )

    def outcome(self):
        moved = Alert.objects.get(organization=self.org)
        return {
            "written": {
                "alert": self.alert.pk,
                "rule": self.rule.pk,
                "patient": self.patient.pk,
                "breach": self.breach.pk,
                "care_alert_type": self.care_alert_type,
            },
            "alert": (moved.pk, moved.patient_id, moved.status, moved.rule_key, moved.breach_count),
            "rule": moved.rule_id,
            "rule_found": ThresholdRule.objects.get(pk=self.rule.pk).pk,
            "rule_fields": (moved.rule.patient_id, moved.rule.value, moved.rule.reason),
            "readings": [r.pk for r in moved.readings.all()],
            "link_keys": list(
                AlertReading.objects.filter(alert=moved).values_list("rule_key", flat=True)
            ),
            "events": [(e.action, e.note) for e in AlertEvent.objects.filter(alert=moved)],
            "alert_type": ContentType.objects.get_for_model(Alert).pk,
            "care_alert_type_left": ContentType.objects.filter(
                app_label="care", model="alert"
            ).exists(),
            "granted": list(
                Group.objects.get(name="Alert readers").permissions.values_list(
                    "content_type__app_label", "codename"
                )
            ),
        }


# --- days: each stored reading gets its local day, offset and device flag (readings 0006) ---
class Days:
    """Also on SQLite (make test's second pass, the demo's database): the days rule must give
    the same days there, so on SQLite the journey holds this case alone."""

    before = [
        ("readings", "0005_vendor_record_versions_and_origin"),
        ("care", "0005_billing_signatures"),
    ]
    on_sqlite = True

    def prepare(self):
        self.org = OrganizationFactory(slug="days-before-they-were-stored")
        self.patient = PatientFactory(organization=self.org, time_zone="America/New_York")
        other = PatientFactory(organization=self.org)
        self.cuff = patient_device(self.patient)
        handover = at(dt.date(2026, 11, 5), 12)
        DeviceAssignment.objects.create(
            device=self.cuff,
            patient=other,
            assigned_at=at(dt.date(2026, 9, 1)),
            ended_at=handover,
        )
        DeviceAssignment.objects.create(
            device=self.cuff, patient=self.patient, assigned_at=handover
        )

    def write(self, old):
        cuff = self.cuff
        rows = [  # (instant, offset sent, device, manual): stored before readings 0006
            (dt.datetime(2026, 11, 21, 4, 30, tzinfo=dt.UTC), None, cuff, False),  # 23:30 EST
            (dt.datetime(2026, 11, 21, 4, 31, tzinfo=dt.UTC), 3600, cuff, False),
            (at(dt.date(2026, 11, 4)), None, cuff, False),  # the other patient's cuff then
            (at(dt.date(2026, 11, 8)), None, None, False),
            (at(dt.date(2026, 11, 9)), None, cuff, True),
        ]
        for n, (instant, offset, device, manual) in enumerate(rows):
            old.get_model("readings", "Reading").objects.create(
                organization_id=self.org.pk,
                patient_id=self.patient.pk,
                metric="heart_rate",
                value=70,
                unit="/min",
                measured_at=instant,
                patient_tz_offset=offset,
                source="impilo",
                source_record_id=f"old-{n}",
                device_id=device.pk if device else None,
                manual=manual,
            )

    def outcome(self):
        return {
            "stored": list(
                Reading.objects.filter(patient=self.patient)
                .order_by("pk")
                .values_list("local_day", "local_offset", "transmitted")
            )
        }


# --- weight: the weight-gain window goes into the rule key (readings 0007) ----------------
class Weight:
    before = [("readings", "0006_reading_local_day_and_transmitted")]
    on_sqlite = False

    def prepare(self):
        self.org = OrganizationFactory(slug="old-weight-default")
        self.own = OrganizationFactory(slug="own-weight-rules")
        self.patient = PatientFactory(organization=self.org)
        self.gained = reading(
            self.patient, "weight", 186.0, at=dt.datetime(2026, 10, 5, 14, tzinfo=dt.UTC)
        )

    def write(self, old):
        rules = old.get_model("readings", "ThresholdRule").objects
        common = {"kind": "weight_gain", "metric": "weight", "direction": "above"}
        self.old_default = rules.create(
            organization_id=self.org.pk, value=4.4, days=3, reason="Portal default", **common
        )
        rules.create(
            organization_id=self.own.pk, value=4.0, days=3, reason="Portal default", **common
        )
        alert = old.get_model("readings", "Alert").objects.create(
            organization_id=self.org.pk,
            patient_id=self.patient.pk,
            rule_id=self.old_default.pk,
            rule_key="weight_gain:weight:above",
            rule_text="Weight gain of 4.4 lb (2.0 kg) or more within 3 days",
            kind="weight_gain",
            metric="weight",
            severity="warning",
            breach_count=1,
            first_triggered_at=self.gained.measured_at,
            last_triggered_at=self.gained.measured_at,
        )
        old.get_model("readings", "AlertReading").objects.create(
            alert_id=alert.pk,
            reading_id=self.gained.pk,
            patient_id=self.patient.pk,
            rule_key=alert.rule_key,
        )

    def outcome(self):
        def current(organization):
            return sorted(
                ThresholdRule.objects.filter(
                    organization=organization, kind="weight_gain", superseded_at=None
                ).values_list("value", "days")
            )

        alert = Alert.objects.get(organization=self.org)
        return {
            "current": current(self.org),
            "old_default_superseded": ThresholdRule.objects.get(
                pk=self.old_default.pk
            ).superseded_at
            is not None,
            "current_own": current(self.own),
            "alert_key": alert.rule_key,
            "link_keys": list(
                AlertReading.objects.filter(alert=alert).values_list("rule_key", flat=True)
            ),
        }


# --- time: minutes become seconds by a named person (care 0007) ---------------------------
class Time:
    before = [("care", "0006_roster_counts_stored_days")]
    on_sqlite = False

    def prepare(self):
        self.org = OrganizationFactory(slug="minutes-logged")
        self.alice = _staff(self.org, Role.NURSE, "alice")
        self.bob = _staff(self.org, Role.COORDINATOR, "bob")
        self.petra = _staff(self.org, Role.PHYSICIAN, "petra")
        self.patient = PatientFactory(organization=self.org)
        self.key, _ = factories.api_key(self.org)

    def write(self, old):
        model = old.get_model("care", "TimeEntry")
        today = dt.datetime.now(tz=self.patient.tz).date()
        rows = [
            {"author_id": self.alice.pk, "minutes": 12, "interactive": True},
            {"author_id": self.bob.pk, "minutes": 10},
            {"author_id": self.petra.pk, "minutes": 30, "interpretation": True},
            {"author_id": self.alice.pk, "minutes": 30, "interpretation": True},
            {"api_key_id": self.key.pk, "minutes": 5},
        ]
        self.ids = [
            model.objects.create(
                organization_id=self.org.pk, patient_id=self.patient.pk, day=today, **row
            ).pk
            for row in rows
        ]

    def outcome(self):
        got = {e.pk: e for e in TimeEntry.objects.filter(organization=self.org)}
        first = got[self.ids[0]]
        rows = selectors.roster_patients(self.org, selectors.RosterFilters())
        return {
            "entries": [
                (got[i].seconds, got[i].performed_by_id, got[i].activity, got[i].counts_toward)
                for i in self.ids
            ],
            "first_contact": (first.contact_medium, first.is_contact),
            "month_minutes": [p.month_minutes for p in rows if p.pk == self.patient.pk],
            "people": {"alice": self.alice.pk, "bob": self.bob.pk, "petra": self.petra.pk},
        }


JOURNEY = {ROSTER: Roster, MOVE: Move, DAYS: Days, WEIGHT: Weight, TIME: Time}  # in migration order


@pytest.fixture(scope="module")
def outcomes(django_db_setup, django_db_blocker):
    """Every case prepared at the latest schema, written at its "before" point on the way back
    up, then read at the latest schema; the database is emptied afterwards, as a transactional
    test's is."""
    on_sqlite = connection.vendor == "sqlite"
    cases = {name: case() for name, case in JOURNEY.items() if case.on_sqlite or not on_sqlite}
    with django_db_blocker.unblock():
        try:
            for case in cases.values():
                case.prepare()
            try:
                for case in cases.values():
                    _migrate(case.before)
                    case.write(_applied_state())
            finally:
                _migrate(_latest())
            ContentType.objects.clear_cache()
            yield {name: case.outcome() for name, case in cases.items()}
        finally:
            ContentType.objects.clear_cache()
            call_command("flush", interactive=False, verbosity=0)


def test_the_roster_state_is_backfilled_for_existing_patients(outcomes):
    got = outcomes[ROSTER]
    assert got["maintained"] == got["computed"]
    state = got["maintained"][got["patient"]]
    assert (state["period_days"], state["month_minutes"]) == (1, 7)


def test_alerts_written_before_the_move_are_read_after_it(outcomes):
    got = outcomes[MOVE]
    written = got["written"]
    assert got["alert"] == (
        written["alert"],
        written["patient"],
        "acknowledged",
        "single:systolic:above",
        1,
    )
    assert got["rule"] == got["rule_found"] == written["rule"]
    assert got["rule_fields"] == (written["patient"], 170, "Known hypertensive")
    assert got["readings"] == [written["breach"]]
    assert got["link_keys"] == ["single:systolic:above"]
    assert got["events"] == [("acknowledged", "Called the patient")]
    # The content type moved with the model: same row, so the group keeps its permission.
    assert got["alert_type"] == written["care_alert_type"]
    assert not got["care_alert_type_left"]
    assert got["granted"] == [("readings", "view_alert")]


@pytest.mark.both_databases
def test_stored_readings_get_their_day_by_the_same_rules(outcomes):
    assert outcomes[DAYS]["stored"] == [
        (dt.date(2026, 11, 20), -18000, True),
        (dt.date(2026, 11, 21), 3600, True),
        (dt.date(2026, 11, 4), -18000, False),
        (dt.date(2026, 11, 8), -18000, False),
        (dt.date(2026, 11, 9), -18000, False),
    ]


def test_old_weight_gain_defaults_and_alerts_move_to_windowed_rules(outcomes):
    got = outcomes[WEIGHT]
    assert got["current"] == [(3.0, 1), (5.0, 7)]
    assert got["old_default_superseded"]
    assert got["current_own"] == [(4.0, 3)]
    assert got["alert_key"] == "weight_gain:weight:above:3d"
    assert got["link_keys"] == ["weight_gain:weight:above:3d"]


def test_minutes_become_seconds_by_a_named_person(outcomes):
    got = outcomes[TIME]
    alice, bob, petra = (got["people"][name] for name in ("alice", "bob", "petra"))
    assert got["entries"] == [
        (720, alice, "data_review", "management"),
        (600, bob, "data_review", "none"),  # a coordinator is not clinical staff
        (1800, petra, "interpretation", "interpretation"),
        (1800, alice, "interpretation", "none"),  # a nurse's interpretation: not 99091
        (300, None, "data_review", "none"),  # an API key named nobody
    ]
    assert got["first_contact"] == ("unrecorded", False)
    assert got["month_minutes"] == [12]
