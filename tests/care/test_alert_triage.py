"""The alert queue and triage pages: acknowledge with a note, note, escalate, resolve; roles,
tenancy, audit, the live navigation count, and the query count of the queue."""

import datetime as dt
from http import HTTPStatus

import pytest

from portal.models import AuditEvent
from readings.models import Alert, AlertStatus
from tests.factories import PatientFactory, evaluated

NOW = dt.datetime.now(tz=dt.UTC)


@pytest.fixture
def alert(patient):
    for minutes in (90, 60, 30):
        evaluated(patient, "systolic", 190, at=NOW - dt.timedelta(minutes=minutes))
    return Alert.objects.get(patient=patient)


def test_queue_lists_open_alerts_critical_first(nurse_client, org, alert):
    other = PatientFactory(organization=org, last_name="Warning")
    evaluated(other, "heart_rate", 112, at=NOW - dt.timedelta(days=2))
    response = nurse_client.get("/alerts/")
    assert response.status_code == HTTPStatus.OK
    queue = list(response.context["page"].object_list)
    assert [a.severity for a in queue] == ["critical", "warning"]
    body = response.content.decode()
    assert "Systolic BP at or above 180 mmHg" in body
    assert ">3<" in body  # three readings folded


def test_queue_filters_by_status_and_severity(nurse_client, alert, alice):
    assert list(nurse_client.get("/alerts/?severity=warning").context["page"].object_list) == []
    alert.status = AlertStatus.RESOLVED
    alert.save()
    assert list(nurse_client.get("/alerts/").context["page"].object_list) == []
    assert list(nurse_client.get("/alerts/?status=resolved").context["page"].object_list) == [alert]


def test_alert_page_shows_the_readings_that_triggered_it(nurse_client, alert, patient):
    response = nurse_client.get(f"/alerts/{alert.pk}/")
    assert response.status_code == HTTPStatus.OK
    assert len(response.context["readings"]) == 3
    assert response.content.decode().count("<strong>190</strong>") == 3
    event = AuditEvent.objects.get(action="alert.view")
    assert (event.patient, event.object_id) == (patient, str(alert.pk))


def test_nurse_acknowledges_with_a_note(nurse_client, alert, alice):
    response = nurse_client.post(
        f"/alerts/{alert.pk}/acknowledge/", {"note": "Called patient; repeat 150/90"}
    )
    assert response.status_code == HTTPStatus.FOUND
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, alice)
    event = alert.events.last()
    assert (event.action, event.actor, event.note) == (
        "acknowledged",
        alice,
        "Called patient; repeat 150/90",
    )
    audit = AuditEvent.objects.get(action="alert.acknowledged")
    assert audit.detail == {"with_note": True}  # the note itself is not in the audit log
    page = nurse_client.get(response["Location"]).content.decode()
    assert "Alert acknowledged." in page
    assert "Called patient; repeat 150/90" in page


def test_escalate_to_a_physician_and_resolve(nurse_client, alert, petra):
    nurse_client.post(f"/alerts/{alert.pk}/escalate/", {"to": petra.pk, "note": "BP 190"})
    alert.refresh_from_db()
    assert (alert.status, alert.escalated_to) == (AlertStatus.ESCALATED, petra)
    nurse_client.post(
        f"/alerts/{alert.pk}/resolve/", {"note": "Paged Dr. Lee", "outcome": "contacted"}
    )
    alert.refresh_from_db()
    assert (alert.status, alert.outcome) == (AlertStatus.RESOLVED, "contacted")


def test_escalating_needs_a_reason(nurse_client, alert, petra):
    response = nurse_client.post(f"/alerts/{alert.pk}/escalate/", {"to": petra.pk, "note": ""})
    alert.refresh_from_db()
    assert (alert.status, alert.escalated_to) == (AlertStatus.OPEN, None)
    assert "Say why you escalate." in response.content.decode()


def test_acting_on_a_resolved_alert_is_a_message_not_an_error(nurse_client, alert):
    nurse_client.post(f"/alerts/{alert.pk}/resolve/", {"note": "ok", "outcome": "no_action"})
    events = list(alert.events.values_list("action", flat=True))
    response = nurse_client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": ""}, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "already resolved" in response.content.decode()
    assert list(alert.events.values_list("action", flat=True)) == events
    assert events == ["opened", "breach", "breach", "resolved"]


def test_coordinator_can_read_but_not_triage(client, bob, alert):
    client.force_login(bob)
    assert client.get(f"/alerts/{alert.pk}/").status_code == HTTPStatus.OK
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "x"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_outsider_gets_404_on_our_alert(client, olga, alert):
    client.force_login(olga)
    assert client.get(f"/alerts/{alert.pk}/").status_code == HTTPStatus.NOT_FOUND
    response = client.post(f"/alerts/{alert.pk}/resolve/", {"note": "x"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_navigation_badge_counts_open_alerts(nurse_client, alert, client, olga):
    body = nurse_client.get("/alerts/badge/").content.decode()
    assert ">1<" in body
    assert "1 critical, 0 warning open alerts" in body
    client.force_login(olga)
    assert client.get("/alerts/badge/").content.decode().strip() == ""


def test_pages_load_the_badge_script(nurse_client, alert):
    assert b"js/care.js" in nurse_client.get("/alerts/").content


@pytest.mark.parametrize("count", [3, 30])
def test_queue_query_count_is_constant(nurse_client, org, count, django_assert_max_num_queries):
    for i in range(count):
        evaluated(
            PatientFactory(organization=org), "systolic", 190, at=NOW - dt.timedelta(hours=i + 1)
        )
    with django_assert_max_num_queries(12):  # 11 + the tabs' counts (one query)
        response = nurse_client.get("/alerts/")
    assert len(response.context["page"].object_list) == min(count, 25)
