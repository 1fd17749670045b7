"""Who may bill what, on the real services, selectors and pages (PostgreSQL and SQLite): time
summed in seconds and rounded down per month, the named person and their standing, the
interactive contact as what it was, 99091 per 30-day period, and the day limits."""

import datetime as dt
import itertools
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from appointments.models import Appointment, AppointmentStatus
from portal.models import Membership
from readings.care import selectors, services
from readings.care.models import CareTimer, TimeEntry
from tests import factories
from tests.factories import PatientFactory, entry

pytestmark = pytest.mark.both_databases  # billing and time: also on SQLite

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
LATER = dt.datetime(2026, 12, 15, tzinfo=dt.UTC)  # both months over
_solo_ids = itertools.count(700001)


@pytest.fixture
def monitored(org):
    # 30-day periods: Oct 20–Nov 18 (ends in November), Nov 19–Dec 18.
    return PatientFactory(
        organization=org, time_zone="America/Chicago", monitoring_started_on=dt.date(2026, 10, 20)
    )


def line_for(patient, month):
    return selectors.billing_lines([patient], month, now=LATER)[0]


def codes(patient, month):
    return line_for(patient, month).code_names


def visit(patient, status, at):
    return Appointment.objects.create(
        organization=patient.organization,
        patient=patient,
        solo_id=next(_solo_ids),
        starts_at=at,
        status=status,
    )


# --- seconds summed, then rounded down ------------------------------------------------------
@pytest.mark.parametrize(
    ("sessions", "minutes", "expected"),
    [
        ([599], 9, []),  # 9:59
        ([600], 10, ["99470"]),  # 10:00
        ([570], 9, []),  # 9:30 billed 99470 when each session rounded to the nearest minute
        ([1199], 19, ["99470"]),  # 19:59
        ([1200], 20, ["99457"]),  # 20:00
        ([410, 410, 410], 20, ["99457"]),  # three sessions of 6 min 50 s = 20 min 30 s
        ([299, 301], 10, ["99470"]),  # 4:59 + 5:01: summed first
    ],
)
def test_month_minutes_are_summed_seconds_rounded_down(
    monitored, alice, sessions, minutes, expected
):
    for i, seconds in enumerate(sessions):
        entry(monitored, alice, seconds=seconds, interactive=i == 0, day=dt.date(2026, 10, 12))
    line = line_for(monitored, OCTOBER)
    assert line.time.management_minutes == minutes
    assert [c.code for c in line.management] == expected


@pytest.mark.parametrize(("sessions", "minutes"), [([599], 9), ([410, 410, 410], 20)])
def test_roster_minutes_follow_the_same_rule(org, monitored, alice, bob, sessions, minutes):
    # The roster's "this month" is the organization's; a patient an hour behind it has no
    # minutes in it yet in the organization's first hour of a month (entries cannot be in the
    # patient's future). The rule under test is the rounding: one zone for both.
    monitored.time_zone = org.time_zone
    monitored.save(update_fields=["time_zone"])
    today = services.patient_today(monitored)
    for seconds in sessions:
        entry(monitored, alice, seconds=seconds, day=today)
    entry(monitored, bob, seconds=600, day=today)  # a coordinator's: not billable
    rows = selectors.roster_patients(org, selectors.RosterFilters())
    assert [p.month_minutes for p in rows if p.pk == monitored.pk] == [minutes]
    computed = selectors.roster_patients_computed(org, now=dt.datetime.now(tz=dt.UTC))
    assert [p.month_minutes for p in computed if p.pk == monitored.pk] == [minutes]


# --- who may bill ---------------------------------------------------------------------------
def test_only_physician_interpretation_bills_99091_across_a_month_boundary(monitored, petra):
    entry(monitored, petra, minutes=20, activity="interpretation", day=dt.date(2026, 10, 25))
    entry(monitored, petra, minutes=10, activity="interpretation", day=dt.date(2026, 11, 10))
    november = line_for(monitored, NOVEMBER)
    assert november.code_names == ["99091"]  # the period Oct 20–Nov 18 ends in November
    assert november.interpretation[0].outcome.minutes == 30
    assert codes(monitored, OCTOBER) == []  # no period ends in October


def test_29_min_59_s_of_interpretation_is_not_99091(monitored, petra):
    entry(monitored, petra, seconds=1199, activity="interpretation", day=dt.date(2026, 10, 25))
    entry(monitored, petra, seconds=600, activity="interpretation", day=dt.date(2026, 11, 10))
    assert codes(monitored, NOVEMBER) == []
    assert line_for(monitored, NOVEMBER).interpretation[0].reason == "1 more min for 99091"


@pytest.mark.parametrize("who", ["alice", "bob", "api_key"])
def test_interpretation_by_others_does_not_bill_99091(request, monitored, org, who):
    if who == "api_key":
        key, _ = factories.api_key(org)
        e = services.time_entry_create(
            patient=monitored,
            api_key=key,
            day=dt.date(2026, 11, 1),
            seconds=1800,
            activity="interpretation",
        )
    else:
        e = entry(
            monitored,
            request.getfixturevalue(who),
            minutes=30,
            activity="interpretation",
            day=dt.date(2026, 11, 1),
        )
    assert (e.counts_toward, e.billable) == ("none", False)
    assert codes(monitored, NOVEMBER) == []


@pytest.mark.parametrize(
    ("management_day", "management_minutes", "expected"),
    [
        (dt.date(2026, 10, 12), 20, []),  # 99457 in October, which the period touches
        (dt.date(2026, 11, 25), 12, []),  # 99470 in November (the portal's 2026 reading)
        (dt.date(2026, 11, 25), 9, ["99091"]),  # no management code: 99091 stands
    ],
)
def test_99091_not_for_a_period_touching_a_month_billed_with_management(
    monitored, alice, petra, management_day, management_minutes, expected
):
    entry(monitored, petra, minutes=30, activity="interpretation", day=dt.date(2026, 11, 2))
    entry(monitored, alice, minutes=management_minutes, interactive=True, day=management_day)
    november = line_for(monitored, NOVEMBER)
    assert [c for c in november.code_names if c == "99091"] == expected
    if not expected:
        assert "billed with 99470/99457/99458" in november.interpretation[0].reason


def test_time_with_no_person_is_kept_not_billable(api, monitored, nurse_client):
    response = api.post(
        "/api/v1/time-entries",
        {
            "patient": monitored.pk,
            "day": "2026-10-12",
            "minutes": 25,
            "activity": "call",
            "contact_medium": "phone",
            "contact_with": "patient",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert (body["performed_by"], body["billable"], body["counts_toward"]) == (None, False, "none")
    assert body["not_billable_reason"] == "no person named: whose time this was is unknown"
    line = line_for(monitored, OCTOBER)
    assert (line.time.management_minutes, line.time.not_billable_minutes) == (0, 25)
    assert line.management == []
    page = nurse_client.get("/billing/?month=2026-10").content.decode()
    assert "not billable</strong>: no person named" in page


def test_api_names_the_person_by_username(api, monitored, alice, olga):
    data = {
        "patient": monitored.pk,
        "day": "2026-10-12",
        "seconds": 1230,
        "activity": "call",
        "contact_medium": "video",
        "contact_with": "caregiver",
        "performed_by": "alice",
    }
    response = api.post("/api/v1/time-entries", data, format="json")
    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert (body["performed_by"], body["performer_role"], body["billable"]) == (
        "alice",
        "nurse",
        True,
    )
    assert codes(monitored, OCTOBER) == ["99457"]
    # someone of another organization is nobody here
    response = api.post("/api/v1/time-entries", {**data, "performed_by": "olga"}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["fields"] == {"performed_by": ["Not found."]}


def test_coordinator_bills_only_when_flagged_clinical_staff(monitored, bob):
    first = entry(monitored, bob, minutes=12, interactive=True, day=dt.date(2026, 10, 5))
    assert (first.counts_toward, first.performer_role) == ("none", "coordinator")
    assert codes(monitored, OCTOBER) == []
    Membership.objects.filter(user=bob).update(clinical_staff=True)
    bob.refresh_from_db()
    second = entry(monitored, bob, minutes=12, interactive=True, day=dt.date(2026, 10, 6))
    assert second.counts_toward == "management"
    assert codes(monitored, OCTOBER) == ["99470"]  # only the second entry's 12 minutes


# --- the interactive contact ----------------------------------------------------------------
def test_a_secure_message_is_not_a_contact(monitored, alice, api):
    entry(monitored, alice, minutes=25, activity="secure_message", day=dt.date(2026, 10, 5))
    line = line_for(monitored, OCTOBER)
    assert (line.time.management_minutes, line.time.interactive, line.management) == (25, False, [])
    response = api.post(
        "/api/v1/time-entries",
        {
            "patient": monitored.pk,
            "day": "2026-10-05",
            "minutes": 5,
            "activity": "call",
            "contact_medium": "secure_message",
            "contact_with": "patient",
            "performed_by": "alice",
        },
        format="json",
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["contact_medium"]


def test_a_call_needs_its_medium(monitored, alice):
    with pytest.raises(ValidationError) as caught:
        entry(monitored, alice, minutes=5, activity="call", day=dt.date(2026, 10, 5))
    assert set(caught.value.message_dict) == {"contact_medium", "contact_with"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (AppointmentStatus.COMPLETED, ["99470"]),
        (AppointmentStatus.SIGNED_OFF, ["99470"]),
        (AppointmentStatus.SCHEDULED, []),
        (AppointmentStatus.CANCELLED, []),
        (AppointmentStatus.NO_SHOW, []),
    ],
)
def test_a_solo_visit_that_happened_counts_as_the_contact(monitored, alice, status, expected):
    visit(monitored, status, dt.datetime(2026, 10, 8, 15, tzinfo=dt.UTC))
    entry(monitored, alice, minutes=12, day=dt.date(2026, 10, 5))  # reviewing readings
    assert codes(monitored, OCTOBER) == expected


def test_office_visit_minutes_are_not_rpm_minutes(monitored, alice):
    solo = visit(
        monitored, AppointmentStatus.COMPLETED, dt.datetime(2026, 10, 8, 15, tzinfo=dt.UTC)
    )
    billed = entry(
        monitored,
        alice,
        minutes=15,
        activity="call",
        contact_medium="video",
        contact_with="patient",
        appointment=solo,
        office_visit=True,
        day=dt.date(2026, 10, 8),
    )
    assert (billed.counts_toward, billed.is_contact) == ("none", True)
    entry(monitored, alice, minutes=10, day=dt.date(2026, 10, 9))
    line = line_for(monitored, OCTOBER)
    assert line.time.management_minutes == 10  # not 25
    assert line.code_names == ["99470"]  # the visit is still the contact


def test_a_visit_that_has_not_happened_cannot_be_logged(monitored, alice):
    solo = visit(
        monitored, AppointmentStatus.SCHEDULED, dt.datetime(2026, 10, 8, 15, tzinfo=dt.UTC)
    )
    with pytest.raises(ValidationError, match="has not happened"):
        entry(
            monitored,
            alice,
            minutes=15,
            activity="call",
            contact_medium="video",
            contact_with="patient",
            appointment=solo,
            day=dt.date(2026, 10, 8),
        )


# --- the timer and the day's limits ---------------------------------------------------------
def test_timer_under_60_seconds_logs_nothing_and_says_why(nurse_client, patient, alice):
    CareTimer.objects.create(
        user=alice,
        patient=patient,
        started_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=30),
    )
    response = nurse_client.post(f"/patients/{patient.pk}/timer/stop/", {}, follow=True)
    assert "under a minute: nothing was logged" in response.content.decode()
    assert not TimeEntry.objects.exists()
    assert not CareTimer.objects.exists()


def test_timer_of_59_and_60_seconds(patient, alice):
    start = dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1)
    services.care_timer_start(user=alice, patient=patient, now=start)
    with pytest.raises(services.TimerError, match="59 seconds"):
        services.care_timer_stop(user=alice, patient=patient, now=start + dt.timedelta(seconds=59))
    e = services.care_timer_stop(user=alice, patient=patient, now=start + dt.timedelta(seconds=60))
    assert e.seconds == 60


def test_more_than_two_hours_a_day_needs_a_reason(monitored, alice, bob, api):
    day = dt.date(2026, 10, 5)
    entry(monitored, alice, minutes=100, day=day)
    entry(monitored, bob, minutes=20, day=day)  # 120:00 exactly: no reason needed
    with pytest.raises(ValidationError) as caught:
        entry(monitored, alice, seconds=60, day=day)  # 121:00
    assert list(caught.value.message_dict) == ["day_reason"]
    data = {"patient": monitored.pk, "day": "2026-10-05", "minutes": 5, "performed_by": "alice"}
    response = api.post("/api/v1/time-entries", data, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["day_reason"]
    response = api.post(
        "/api/v1/time-entries", {**data, "day_reason": "post-discharge crisis"}, format="json"
    )
    assert response.status_code == HTTPStatus.CREATED


def test_more_than_a_day_is_refused(monitored, alice, api, nurse_client):
    day = dt.date(2026, 10, 5)
    entry(monitored, alice, minutes=23 * 60, day=day, day_reason="inpatient-level monitoring")
    data = {
        "patient": monitored.pk,
        "day": "2026-10-05",
        "minutes": 61,
        "performed_by": "alice",
        "day_reason": "more",
    }
    response = api.post("/api/v1/time-entries", data, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["minutes"]  # named as the client sent it
    assert "more than a day has" in response.json()["message"]
    response = api.post("/api/v1/time-entries", {**data, "minutes": 60}, format="json")
    assert response.status_code == HTTPStatus.CREATED  # 24:00:00 exactly
    page = nurse_client.post(
        f"/patients/{monitored.pk}/time/",
        {"day": "2026-10-05", "minutes": "1", "activity": "data_review", "day_reason": "x"},
        follow=True,
    ).content.decode()
    assert "more than a day has (24 hours)" in page
    assert TimeEntry.objects.count() == 2


def test_time_log_form_names_the_person_and_says_what_is_not_billable(client, patient, bob):
    client.force_login(bob)
    client.post(
        f"/patients/{patient.pk}/time/",
        {
            "day": services.patient_today(patient).isoformat(),
            "minutes": "12",
            "activity": "data_review",
        },
    )
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Not billable: not clinical staff" in page
    assert "secure messages are not a contact" in page
