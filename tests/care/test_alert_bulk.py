"""Bulk actions on the queue: acknowledge several information/warning alerts with one note, or
resolve them with one outcome and note — never a critical one (no checkbox on its row, and the
server refuses a batch holding one, changing nothing)."""

import re

import pytest

from portal.models import Role
from readings.care import services
from readings.models import AlertStatus
from tests.care.alert_cast import make_alert
from tests.factories import staff


@pytest.fixture
def batch(patient):
    return [make_alert(patient, "warning"), make_alert(patient, "information")]


def _post(client, action, alerts, **data):
    return client.post(
        "/alerts/bulk/?view=new",
        {"action": action, "alert": [a.pk for a in alerts], **data},
        follow=True,
    )


def test_acknowledge_several_with_one_note(nurse_client, batch, alice):
    response = _post(nurse_client, "acknowledge", batch, note="Cuff replaced; readings ok")
    assert "2 alerts acknowledged." in response.content.decode()
    for a in batch:
        a.refresh_from_db()
        assert (a.status, a.claimed_by) == (AlertStatus.ACKNOWLEDGED, alice)
        assert a.events.last().note == "Cuff replaced; readings ok"


def test_resolve_several_with_one_outcome(nurse_client, batch):
    _post(nurse_client, "resolve", batch, note="Faulty cuff", outcome="measurement_error")
    for a in batch:
        a.refresh_from_db()
        assert (a.status, a.outcome) == (AlertStatus.RESOLVED, "measurement_error")


def test_bulk_resolve_needs_an_outcome_even_for_information(nurse_client, batch):
    response = _post(nurse_client, "resolve", batch, note="ok")
    assert "Choose the outcome that applies to every chosen alert." in response.content.decode()
    assert {a.status for a in batch} == {AlertStatus.OPEN}


def test_a_critical_alert_is_refused_and_nothing_changes(nurse_client, batch, patient):
    critical = make_alert(patient, "critical", text="Systolic BP at or above 180 mmHg")
    response = _post(nurse_client, "acknowledge", [*batch, critical], note="all fine")
    body = response.content.decode()
    assert "Critical alerts are triaged one at a time" in body
    assert "Nothing was changed." in body
    for a in [*batch, critical]:
        a.refresh_from_db()
        assert a.status == AlertStatus.OPEN


def test_critical_rows_have_no_checkbox(nurse_client, batch, patient):
    critical = make_alert(patient, "critical")
    body = nurse_client.get("/alerts/").content.decode()
    boxes = set(re.findall(r'name="alert" value="(\d+)"', body))
    assert boxes == {str(a.pk) for a in batch}
    assert str(critical.pk) not in boxes


def test_a_colleagues_alert_in_the_batch_is_refused(client, org, batch, alice):
    services.alert_claim(alert=batch[0], by=alice)
    client.force_login(staff(org, Role.NURSE, username="nina", first_name="Nina"))
    response = _post(client, "acknowledge", batch, note="x")
    assert "Alice Staff holds this alert." in response.content.decode()
    batch[1].refresh_from_db()
    assert batch[1].status == AlertStatus.OPEN


def test_another_organizations_alert_is_refused(nurse_client, batch, other_patient):
    theirs = make_alert(other_patient, "warning")
    response = _post(nurse_client, "acknowledge", [*batch, theirs], note="x")
    assert "not in your queue" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == AlertStatus.OPEN


def test_coordinator_cannot_bulk(client, bob, batch):
    client.force_login(bob)
    response = client.post("/alerts/bulk/", {"action": "acknowledge", "alert": [batch[0].pk]})
    assert response.status_code == 403
