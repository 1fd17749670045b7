"""The roster page: its columns, filters, search, paging, HTMX fragment, audit and query
count (constant in the number of patients)."""

import datetime as dt
import re
from http import HTTPStatus

import pytest
from django.utils import timezone

from portal.models import AuditEvent, Patient
from readings.care import selectors
from readings.models import Alert
from tests import clock
from tests.factories import AssignedDeviceFactory, PatientFactory, entry, evaluated, reading

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite


def test_home_page_is_the_roster(nurse_client):
    response = nurse_client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/roster/"


def test_roster_shows_each_column(nurse_client, org, patient, alice):
    patient.primary_nurse = alice
    patient.save()
    # Three days with device data whatever the hour: the critical reading's local day and
    # noon of the two days before (never n × 24 h back: that may be the same day or two).
    now = timezone.now()
    critical_at = now - dt.timedelta(minutes=30)
    day = clock.local_day(critical_at, patient.tz)
    for back in (1, 2):
        at = clock.local_time(day - dt.timedelta(days=back), patient.tz)
        reading(patient, "systolic", 128, at=at)
    evaluated(patient, "systolic", 191, at=critical_at)
    reading(patient, "weight", 180, at=now - dt.timedelta(days=1), manual=True)
    entry(patient, alice, minutes=12, interactive=True)
    AssignedDeviceFactory(organization=org, assigned_patient=patient, identifier="BT105-0042")
    response = nurse_client.get("/roster/")
    assert response.status_code == HTTPStatus.OK
    row = response.content.decode()
    assert "Quimby, Harriet" in row
    assert "1 critical" in row
    assert "<strong>191</strong>" in row
    assert "mmHg" in row
    assert re.search(r"3\d(\xa0| )minutes ago", row)  # 30, or a little more on a slow machine
    assert "<strong>3</strong> days" in row  # 3 device days; the manual weight does not count
    assert "13 more for 16" in row
    assert "<strong>12</strong> min" in row
    assert "10 ✓ · 8 more for 20" in row
    assert "BT105-0042" in row
    assert "My patient" in row


def test_roster_is_audited_once_with_ids_only(nurse_client, patient):
    nurse_client.get("/roster/")
    event = AuditEvent.objects.get(action="roster.view")
    assert event.detail == {"page": 1, "patients": [patient.pk]}


@pytest.fixture
def cast(org, alice):
    """Four patients: one critical, one silent for 5 days, one with 16 days, one of alice's."""
    now = timezone.now()
    critical = PatientFactory(organization=org, last_name="Critical")
    evaluated(critical, "systolic", 195, at=now - dt.timedelta(hours=1))
    silent = PatientFactory(organization=org, last_name="Silent")
    reading(silent, "systolic", 120, at=now - dt.timedelta(days=5))
    full = PatientFactory(
        organization=org,
        last_name="Full",
        monitoring_started_on=(now - dt.timedelta(days=20)).date(),
    )
    for day in range(17):
        reading(full, "heart_rate", 70, at=now - dt.timedelta(days=day, hours=2))
    mine = PatientFactory(organization=org, last_name="Mine", primary_nurse=alice)
    return {"critical": critical, "silent": silent, "full": full, "mine": mine}


def names(response):
    return [row.patient.last_name for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Critical", "Mine", "Silent", "Full"]),  # attention first, then oldest data
        ("attention=on", ["Critical"]),
        ("nodata=3", ["Mine", "Silent"]),  # Mine has never sent data
        ("below16=on&sort=name", ["Critical", "Mine", "Silent"]),
        ("mine=on", ["Mine"]),
        ("q=sil", ["Silent"]),
        ("sort=name", ["Critical", "Full", "Mine", "Silent"]),
        ("sort=days", ["Mine", "Critical", "Silent", "Full"]),
        ("sort=last_reading", ["Mine", "Silent", "Full", "Critical"]),  # none, then oldest
        ("sort=minutes", ["Critical", "Full", "Mine", "Silent"]),  # all 0: by name
        ("nodata=3&sort=name", ["Mine", "Silent"]),
        ("attention=on&below16=on", ["Critical"]),
    ],
)
def test_roster_filters_and_sorts(nurse_client, cast, query, expected):
    response = nurse_client.get(f"/roster/?{query}")
    assert names(response) == expected


def test_minutes_sort_puts_the_fewest_minutes_first(nurse_client, cast, alice):
    entry(cast["full"], alice, minutes=25)
    entry(cast["silent"], alice, minutes=5)
    response = nurse_client.get("/roster/?sort=minutes")
    assert names(response) == ["Critical", "Mine", "Silent", "Full"]


def test_pages_of_every_sort_follow_the_reference_order(nurse_client, org, alice):
    """30 patients with mixed alerts, data ages and minutes: each sort's two pages, joined,
    are exactly the reference order computed from the facts in Python."""
    now = timezone.now()
    for i in range(30):
        p = PatientFactory(organization=org, last_name=f"Pt{i % 7}")
        if i % 5 == 0:
            evaluated(p, "systolic", 190, at=now - dt.timedelta(hours=i + 1))
        elif i % 5 == 1:
            evaluated(p, "systolic", 165, at=now - dt.timedelta(hours=i + 1))
        elif i % 5 != 4:
            reading(p, "heart_rate", 70, at=now - dt.timedelta(days=i % 4, hours=i))
        if i % 3 == 0:
            entry(p, alice, minutes=i + 1)
    computed = list(selectors.roster_patients_computed(org, now=now))
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)

    def key(p, sort):
        name = (p.last_name, p.first_name, p.pk)
        last = p.last_at or oldest  # none first
        return {
            "attention": (-p.crit_alerts, -p.warn_alerts, last, *name),
            "name": name,
            "last_reading": (last, p.last_name, p.pk),
            "days": (p.period_days, p.last_name, p.pk),
            "minutes": (p.month_minutes, p.last_name, p.pk),
        }[sort]

    for sort in selectors.ROSTER_SORTS:
        shown = []
        for page in (1, 2):
            response = nurse_client.get(f"/roster/?sort={sort}&page={page}")
            shown += [row.patient.pk for row in response.context["rows"]]
        assert shown == [p.pk for p in sorted(computed, key=lambda p, s=sort: key(p, s))], sort


def test_bad_filter_values_are_ignored_not_errors(nurse_client, cast):
    response = nurse_client.get("/roster/?nodata=banana&sort=evil&page=-3")
    assert response.status_code == HTTPStatus.OK
    assert len(names(response)) == 4


def test_htmx_request_gets_only_the_results_fragment(nurse_client, cast):
    response = nurse_client.get(
        "/roster/?attention=on", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="roster-results"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="roster-results"')
    assert "<html" not in body
    assert "Critical" in body
    assert "Silent" not in body


def test_roster_pages_25_at_a_time(nurse_client, org):
    PatientFactory.create_batch(30, organization=org)
    first = nurse_client.get("/roster/?sort=name")
    second = nurse_client.get("/roster/?sort=name&page=2")
    assert (len(first.context["rows"]), len(second.context["rows"])) == (25, 5)
    assert "Page 1 of 2" in first.content.decode()


def test_outsider_sees_none_of_our_patients(client, olga, cast):
    client.force_login(olga)
    response = client.get("/roster/")
    assert response.status_code == HTTPStatus.OK
    assert names(response) == []
    assert b"Critical" not in response.content


def _populate(org, alice, count):
    now = timezone.now()
    for i in range(count):
        p = PatientFactory(organization=org, primary_nurse=alice if i % 2 else None)
        evaluated(p, "systolic", 170 + i, at=now - dt.timedelta(hours=i + 1))
        reading(p, "weight", 180, at=now - dt.timedelta(days=1, hours=i))
        AssignedDeviceFactory(organization=org, assigned_patient=p)
        if i % 3 == 0:
            entry(p, alice, minutes=5)


VARIANTS = [
    "",
    "?sort=name",
    "?sort=last_reading",
    "?sort=days",
    "?sort=minutes",
    "?attention=on",
    "?below16=on",
    "?nodata=1",
    "?mine=on",
    "?q=Test",
    "?below16=on&nodata=1",
]


@pytest.mark.parametrize("count", [5, 50])
def test_roster_query_count_is_constant(
    nurse_client, org, alice, count, django_assert_max_num_queries
):
    _populate(org, alice, count)
    # session, user, membership, organization, the roll of ended periods and months
    # (PostgreSQL), count, rows, last readings, devices, next appointments, audit, alert
    # counts, and the session save (3)
    for variant in VARIANTS:
        with django_assert_max_num_queries(15):
            response = nurse_client.get(f"/roster/{variant}")
        assert response.status_code == HTTPStatus.OK
    response = nurse_client.get("/roster/?below16=on&nodata=1")
    assert len(response.context["rows"]) == min(count, 25)


def test_roster_query_count_same_at_5_and_50(nurse_client, org, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (5, 45):
        _populate(org, alice, n)
        per_variant = []
        for variant in VARIANTS:
            with CaptureQueriesContext(connection) as ctx:
                nurse_client.get(f"/roster/{variant}")
            per_variant.append(len(ctx.captured_queries))
        counts.append(per_variant)
    assert counts[0] == counts[1]
    assert Patient.objects.filter(organization=org).count() == 50
    assert Alert.objects.count() > 25


def test_roster_shows_the_next_open_visit_in_patient_time(nurse_client, org, patient):
    from django.utils import timezone

    from appointments.models import Appointment, AppointmentStatus

    soon = timezone.now() + dt.timedelta(days=2)
    Appointment.objects.create(
        organization=org, patient=patient, solo_id=1, starts_at=soon + dt.timedelta(days=5)
    )
    Appointment.objects.create(
        organization=org,
        patient=patient,
        solo_id=2,
        starts_at=soon - dt.timedelta(days=1),
        status=AppointmentStatus.CANCELLED,
    )
    nearest = Appointment.objects.create(
        organization=org, patient=patient, solo_id=3, starts_at=soon
    )
    html = nurse_client.get("/roster/").content.decode()
    local = timezone.localtime(nearest.starts_at, patient.tz)
    assert f'href="/appointments/{nearest.pk}/"' in html
    assert local.strftime("%a %b %-d, %-I:%M %p") in html
