"""Resolving: a critical alert needs an outcome and a note, a warning an outcome, information
neither. Refused on the page with the reason under the field (what was typed kept), and in the
API with a 422 naming the field."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from readings.care import services
from readings.models import AlertStatus
from tests.care.alert_cast import make_alert


@pytest.mark.parametrize(
    ("severity", "outcome", "note", "missing"),
    [
        ("critical", "", "", ["outcome", "note"]),
        ("critical", "contacted", "", ["note"]),
        ("critical", "", "Called", ["outcome"]),
        ("warning", "", "Called", ["outcome"]),
        ("critical", "maybe", "Called", ["outcome"]),
    ],
)
def test_resolve_refuses_what_is_missing(patient, alice, severity, outcome, note, missing):
    alert = make_alert(patient, severity)
    with pytest.raises(ValidationError) as info:
        services.alert_resolve(alert=alert, by=alice, outcome=outcome, note=note)
    assert sorted(info.value.message_dict) == sorted(missing)
    alert.refresh_from_db()
    assert (alert.status, list(alert.events.all())) == (AlertStatus.OPEN, [])


@pytest.mark.parametrize(
    ("severity", "outcome", "note"),
    [
        ("critical", "emergency", "Sent to ED"),
        ("warning", "measurement_error", ""),
        ("information", "", ""),
    ],
)
def test_resolve_with_what_the_tier_needs(patient, alice, severity, outcome, note):
    alert = services.alert_resolve(
        alert=make_alert(patient, severity), by=alice, outcome=outcome, note=note
    )
    assert (alert.status, alert.outcome) == (AlertStatus.RESOLVED, outcome)
    assert alert.events.get().action == "resolved"


def test_page_refuses_a_critical_without_outcome_and_keeps_the_note(nurse_client, patient):
    alert = make_alert(patient, "critical")
    response = nurse_client.post(f"/alerts/{alert.pk}/resolve/", {"note": "Called her"})
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Choose an outcome: a critical alert is resolved with one." in body
    assert ">Called her</textarea>" in body
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_resolved_page_shows_the_outcome(nurse_client, patient, alice):
    alert = make_alert(patient, "warning")
    services.alert_resolve(alert=alert, by=alice, outcome="no_action")
    assert "No action needed" in nurse_client.get(f"/alerts/{alert.pk}/").content.decode()


def test_api_refuses_a_critical_without_outcome_naming_the_fields(api, patient):
    alert = make_alert(patient, "critical")
    response = api.post(f"/api/v1/alerts/{alert.pk}/resolve", {}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json() == {
        "error": "validation_error",
        "message": "outcome: Choose an outcome: a critical alert is resolved with one.",
        "fields": {
            "outcome": ["Choose an outcome: a critical alert is resolved with one."],
            "note": ["Write a note: a critical alert is resolved with what was done."],
        },
    }


def test_api_refuses_an_unknown_outcome(api, patient):
    alert = make_alert(patient, "warning")
    response = api.post(f"/api/v1/alerts/{alert.pk}/resolve", {"outcome": "x"}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["outcome"]


def test_api_resolves_information_without_anything(api, patient):
    alert = make_alert(patient, "information")
    response = api.post(f"/api/v1/alerts/{alert.pk}/resolve", {}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert (response.json()["status"], response.json()["outcome"]) == ("resolved", "")
