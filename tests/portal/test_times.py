"""Times on the right clock: patient data in the patient's zone, work queues in the viewer's
(their profile's zone, else the organization's), always with the zone's abbreviation."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory

from portal.models import AuditEvent
from portal.timezones import ViewerZoneMiddleware
from readings.models import Alert
from tests.factories import PatientFactory, evaluated

WINTER = dt.datetime(2026, 1, 15, 18, 5, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 15, 18, 5, tzinfo=dt.UTC)
TEMPLATE = Template(
    "{% load times %}{{ t|staff_time }}|{{ t|patient_time:patient }}|{{ t|staff_time:'time' }}"
)


def rendered(member, instant, patient=None) -> list[str]:
    """TEMPLATE rendered inside a request by `member` (None: outside any signed-in request)."""
    request = RequestFactory().get("/")
    if member is not None:
        request.user = member
        request.membership = member.membership

    def view(request):
        return HttpResponse(TEMPLATE.render(Context({"t": instant, "patient": patient})))

    return ViewerZoneMiddleware(view)(request).content.decode().split("|")


def test_staff_times_default_to_the_organizations_zone(alice):
    assert rendered(alice, WINTER)[0] == "Jan 15, 2026 1:05 PM EST"


def test_staff_times_follow_the_viewers_chosen_zone_across_daylight_saving(alice):
    alice.membership.time_zone = "America/Chicago"
    assert rendered(alice, WINTER)[2] == "12:05 PM CST"
    assert rendered(alice, SUMMER)[2] == "1:05 PM CDT"


def test_patient_times_are_the_patients_own_whoever_looks(alice, org):
    denver = PatientFactory(organization=org, time_zone="America/Denver")
    alice.membership.time_zone = "America/Los_Angeles"
    staff, patient_time, _ = rendered(alice, SUMMER, denver)
    assert staff == "Jul 15, 2026 11:05 AM PDT"
    assert patient_time == "Jul 15, 2026 12:05 PM MDT"
    phoenix = PatientFactory(organization=org, time_zone="America/Phoenix")  # no DST there
    assert rendered(alice, SUMMER, phoenix)[1] == "Jul 15, 2026 11:05 AM MST"


def test_the_night_daylight_saving_starts(alice):
    # 2026-03-08: New York clocks jump from 2:00 AM EST to 3:00 AM EDT (07:00 UTC).
    before = dt.datetime(2026, 3, 8, 6, 59, tzinfo=dt.UTC)
    after = dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC)
    assert rendered(alice, before)[2] == "1:59 AM EST"
    assert rendered(alice, after)[2] == "3:00 AM EDT"


def test_outside_a_signed_in_request_times_say_utc(db):
    assert rendered(None, WINTER)[0] == "Jan 15, 2026 6:05 PM UTC"


def test_empty_values_render_empty(alice):
    assert rendered(alice, None)[:1] == [""]


@pytest.fixture
def alert(patient):
    evaluated(patient, "systolic", 190, at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(minutes=5))
    return Alert.objects.get(patient=patient)


def test_alert_page_shows_times_in_the_viewers_zone_not_utc(nurse_client, alice, alert):
    alice.membership.time_zone = "America/Chicago"
    alice.membership.save()
    body = nurse_client.get(f"/alerts/{alert.pk}/").content.decode()
    zone = alert.first_triggered_at.astimezone(alice.membership.viewer_tz).strftime("%Z")
    assert zone in {"CST", "CDT"}
    assert f"first {alert.first_triggered_at.astimezone(alice.membership.viewer_tz):%b} " in body
    assert f" {zone}, last " in body
    assert " UTC" not in body


def test_profile_page_offers_us_zones_first_and_the_organization_default(nurse_client):
    response = nurse_client.get("/accounts/profile/")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "The organization&#x27;s zone (America/New York)" in body
    assert body.index('value="America/New_York"') < body.index('value="Europe/London"')
    assert body.index('value="America/Chicago"') < body.index('value="America/Argentina')


def test_profile_zone_change_is_stored_audited_and_used(nurse_client, alice):
    response = nurse_client.post("/accounts/profile/", {"time_zone": "America/Chicago"})
    assert response.status_code == HTTPStatus.FOUND
    alice.membership.refresh_from_db()
    assert alice.membership.time_zone == "America/Chicago"
    event = AuditEvent.objects.get(action="membership.time_zone")
    assert (event.actor, event.detail) == (alice, {"from": "", "to": "America/Chicago"})
    page = nurse_client.get("/accounts/profile/").content.decode()
    assert "Your work lists are shown in <strong>America/Chicago</strong>" in page
    assert "work lists in yours (C" in page  # the footer names the zone: CST or CDT
    nurse_client.post("/accounts/profile/", {"time_zone": ""})  # back to the organization's
    alice.membership.refresh_from_db()
    assert alice.membership.time_zone == ""


def test_profile_refuses_a_zone_that_does_not_exist(nurse_client, alice):
    response = nurse_client.post("/accounts/profile/", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.content.decode()
    alice.membership.refresh_from_db()
    assert alice.membership.time_zone == ""


def test_profile_needs_a_sign_in(client, db):
    response = client.get("/accounts/profile/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]


def test_every_role_may_set_their_own_zone(client, bob):
    client.force_login(bob)
    client.post("/accounts/profile/", {"time_zone": "America/Denver"})
    bob.membership.refresh_from_db()
    assert bob.membership.time_zone == "America/Denver"
