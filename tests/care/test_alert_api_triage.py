"""The alert API's claim, release, assign and escalate: a signed-in clinician only (an API key
is not a person), the holder and escalation in the alert's payload, a colleague's hold a 409
naming them, an unknown colleague a 404 naming the field."""

from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from portal.models import Role
from readings.care import services
from tests.care.alert_cast import make_alert
from tests.factories import staff


@pytest.fixture
def alert(patient):
    return make_alert(patient, "critical")


@pytest.fixture
def session(alice):
    c = APIClient()
    c.force_authenticate(alice)
    return c


def test_claim_and_release(session, alert):
    response = session.post(f"/api/v1/alerts/{alert.pk}/claim", {}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert (response.json()["claimed_by"], response.json()["claimed_at"] is not None) == (
        "alice",
        True,
    )
    response = session.post(f"/api/v1/alerts/{alert.pk}/release", {}, format="json")
    assert response.json()["claimed_by"] is None


def test_claim_held_by_a_colleague_is_a_409_naming_them(session, alert, org):
    services.alert_claim(alert=alert, by=staff(org, Role.NURSE, first_name="Nina"))
    response = session.post(f"/api/v1/alerts/{alert.pk}/claim", {}, format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "error": "alert_held",
        "message": "Nina Staff holds this alert. Take it over to act on it.",
        "fields": {},
    }
    response = session.post(f"/api/v1/alerts/{alert.pk}/claim", {"take_over": True}, format="json")
    assert response.json()["claimed_by"] == "alice"


def test_assign_and_escalate(session, alert, petra):
    response = session.post(f"/api/v1/alerts/{alert.pk}/assign", {"to": "petra"}, format="json")
    assert response.json()["claimed_by"] == "petra"
    response = session.post(
        f"/api/v1/alerts/{alert.pk}/escalate", {"to": "petra", "note": "why"}, format="json"
    )
    # petra holds it now, so alice may not escalate it (the message names petra)
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "alert_held"


def test_escalate_names_the_physician(session, alert, petra):
    response = session.post(
        f"/api/v1/alerts/{alert.pk}/escalate", {"to": "petra", "note": "BP 200"}, format="json"
    )
    body = response.json()
    assert (body["status"], body["escalated_to"], body["claimed_by"]) == (
        "escalated",
        "petra",
        "alice",
    )


def test_escalate_needs_a_reason_and_a_known_physician(session, alert, bob, olga):
    response = session.post(f"/api/v1/alerts/{alert.pk}/escalate", {"to": "petra"}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["note"]
    response = session.post(
        f"/api/v1/alerts/{alert.pk}/escalate", {"to": "olga", "note": "x"}, format="json"
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["fields"] == {"to": ["Not found."]}
    response = session.post(
        f"/api/v1/alerts/{alert.pk}/escalate", {"to": "bob", "note": "x"}, format="json"
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == ["to"]


@pytest.mark.parametrize("action", ["claim", "release", "assign", "escalate"])
def test_an_api_key_is_not_a_person(api, alert, action):
    response = api.post(
        f"/api/v1/alerts/{alert.pk}/{action}", {"to": "petra", "note": "x"}, format="json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "person_required"


def test_an_api_key_cannot_resolve_a_claimed_alert(api, alert, alice):
    services.alert_claim(alert=alert, by=alice)
    body = {"outcome": "contacted", "note": "x"}
    response = api.post(f"/api/v1/alerts/{alert.pk}/resolve", body, format="json")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["error"] == "alert_held"


def test_outsider_gets_404(olga, alert):
    c = APIClient()
    c.force_authenticate(olga)
    response = c.post(f"/api/v1/alerts/{alert.pk}/claim", {}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
