"""The alert protocol page (an organization admin edits it, with who/when/why history; every
clinician reads it), the live notice on every page, and the alert page's notification log."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readings.care import notifications
from readings.care.models import AlertProtocol, Notification
from readings.models import Alert
from tests.care.protocol_helpers import line, protocol
from tests.factories import evaluated

pytestmark = pytest.mark.django_db


def form_data(alice, petra, **overrides):
    data = {
        "critical_minutes": "10",
        "warning_minutes": "120",
        "warning_portal": "on",
        "email_detail": "link",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "path_1": str(petra.pk),
        "reason": "Petra covers escalations this quarter",
        "rota-TOTAL_FORMS": "2",
        "rota-INITIAL_FORMS": "0",
        "rota-0-days": ["0", "1", "2", "3", "4"],
        "rota-0-start_hour": "20",
        "rota-0-end_hour": "8",
        "rota-0-clinician": str(alice.pk),
        "rota-1-start_hour": "0",
        "rota-1-end_hour": "24",
    }
    data.update(overrides)
    return data


def test_an_admin_saves_a_version_and_the_old_one_stays_in_the_history(
    client, ada, alice, petra, org
):
    client.force_login(ada)
    assert client.get("/protocol/").status_code == HTTPStatus.OK
    response = client.post("/protocol/", form_data(alice, petra))
    assert response.status_code == HTTPStatus.FOUND
    first = AlertProtocol.objects.get(organization=org)
    assert (first.critical_limit, first.quiet_start) == (dt.timedelta(minutes=10), dt.time(22))
    assert [(s.weekdays, s.start_hour, s.end_hour, s.clinician) for s in first.slots.all()] == [
        (0b0011111, 20, 8, alice)
    ]
    assert [s.person for s in first.path.all()] == [petra]

    client.post("/protocol/", form_data(alice, petra, critical_minutes="5", reason="Faster"))
    first.refresh_from_db()
    assert (first.superseded_at is not None, first.superseded_by) == (True, ada)
    current = AlertProtocol.objects.get(organization=org, superseded_at__isnull=True)
    assert (current.critical_limit, current.reason, current.created_by) == (
        dt.timedelta(minutes=5),
        "Faster",
        ada,
    )
    page = client.get("/protocol/").content.decode()
    assert "Mon–Fri" in page
    assert "20:00–08:00 (next day)" in page
    assert "Petra covers escalations this quarter" in page  # the history keeps why
    assert "in force" in page


def test_a_change_needs_a_reason(client, ada, alice, petra, org):
    client.force_login(ada)
    response = client.post("/protocol/", form_data(alice, petra, reason=""))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This field is required." in response.content.decode()
    assert not AlertProtocol.objects.exists()


def test_a_rota_line_needs_its_days(client, ada, alice, petra):
    client.force_login(ada)
    response = client.post("/protocol/", form_data(alice, petra, **{"rota-0-days": []}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Tick the days this person is on call." in response.content.decode()


def test_a_coordinator_cannot_be_on_call(client, ada, alice, bob, petra):
    client.force_login(ada)
    response = client.post("/protocol/", form_data(alice, petra, path_1=str(bob.pk)))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not AlertProtocol.objects.exists()


def test_nurses_read_the_protocol_but_do_not_change_it(client, alice, petra, ada, org):
    protocol(org, ada, slots=[line(alice, 0, 24)], path=[petra])
    client.force_login(alice)
    page = client.get("/protocol/")
    assert page.status_code == HTTPStatus.OK
    assert "Organization admins change the alert protocol." in page.content.decode()
    assert client.post("/protocol/", form_data(alice, petra)).status_code == HTTPStatus.FORBIDDEN
    assert AlertProtocol.objects.count() == 1


def test_the_protocol_page_query_count_does_not_grow_with_the_history(
    client, ada, alice, petra, org
):
    def queries_for_the_page():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/protocol/").status_code == HTTPStatus.OK
        return len(queries)

    client.force_login(ada)
    protocol(org, ada, slots=[line(alice, 0, 12), line(petra, 12, 24)], path=[petra])
    one_version = queries_for_the_page()
    for n in range(5):
        protocol(org, ada, slots=[line(alice, 0, 12)], path=[petra], reason=f"v{n}")
    assert queries_for_the_page() == one_version
    assert one_version <= 20


@pytest.fixture
def noticed(org, ada, alice, patient):
    protocol(org, ada, slots=[line(alice, 0, 24)])
    evaluated(patient, "systolic", 191)
    alert = Alert.objects.get(patient=patient)
    notifications.alert_raised_notify(alert_id=alert.pk, reason="opened")
    return Notification.objects.get(channel="portal", recipient=alice)


def test_every_page_polls_for_notices(client, alice):
    client.force_login(alice)
    page = client.get("/roster/").content.decode()
    assert 'hx-get="/notices/"' in page
    assert 'hx-trigger="load, every 15s"' in page
    assert 'hx-get="/notices/"' not in client.get("/accounts/security/").content.decode()


def test_the_notice_shows_to_its_recipient_only(client, alice, petra, noticed, patient):
    client.force_login(alice)
    body = client.get("/notices/").content.decode()
    assert "An alert needs you" in body
    assert "Systolic BP at or above 180 mmHg" in body
    assert patient.last_name not in body  # the poll carries no patient identity
    client.force_login(petra)
    assert "An alert needs you" not in client.get("/notices/").content.decode()
    assert client.post(f"/notices/{noticed.pk}/open/").status_code == HTTPStatus.NOT_FOUND


def test_opening_a_notice_marks_it_read_and_goes_to_the_alert(client, alice, noticed):
    client.force_login(alice)
    response = client.post(f"/notices/{noticed.pk}/open/")
    assert response["Location"] == f"/alerts/{noticed.alert_id}/"
    noticed.refresh_from_db()
    assert noticed.read_at is not None
    assert "An alert needs you" not in client.get("/notices/").content.decode()


def test_dismissing_a_notice_answers_the_remaining_ones(client, alice, noticed):
    client.force_login(alice)
    response = client.post(f"/notices/{noticed.pk}/dismiss/", headers={"HX-Request": "true"})
    assert response.status_code == HTTPStatus.OK
    assert "An alert needs you" not in response.content.decode()


def test_the_alert_page_lists_its_notifications(
    client, alice, noticed, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(30):
        page = client.get(f"/alerts/{noticed.alert_id}/").content.decode()
    assert "Notifications" in page
    assert "Portal notice" in page
    assert "Delivered" in page
    assert "On call" in page
