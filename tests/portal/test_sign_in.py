import datetime as dt
from http import HTTPStatus

from django.conf import settings
from django.utils import timezone


def test_anonymous_pages_redirect_to_sign_in(client, db, patient):
    for url in ["/", "/patients/", f"/patients/{patient.pk}/"]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith("/accounts/login/?next=")


def test_nurse_signs_in_and_lands_on_the_roster(client, alice):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0] == "/roster/"  # the care roster is the home page
    assert b"Riverside Heart" in response.content


def test_wrong_password_shows_a_message_not_an_error(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == HTTPStatus.OK
    assert b"did not match" in response.content


def test_repeated_failures_lock_the_account(client, alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery staple"}
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many failed sign-ins" in response.content


def test_session_is_an_idle_timeout():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert "portal.middleware.SessionIdleMiddleware" in settings.MIDDLEWARE


def _expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_request_renews_the_idle_timeout_but_a_background_poll_does_not(
    nurse_client, time_machine
):
    """An open tab's live notice and badge polls every 15–30 s; if they renewed the session, a
    ward workstation left open would never sign out."""
    start = timezone.now()
    time_machine.move_to(start)
    nurse_client.get("/patients/")
    first = _expiry(nurse_client)
    time_machine.move_to(start + dt.timedelta(minutes=20))
    for path in ("/alerts/badge/", "/patients/"):  # polled in the background
        assert nurse_client.get(path, HTTP_X_BACKGROUND_POLL="1").status_code == HTTPStatus.OK
    assert _expiry(nurse_client) == first
    time_machine.move_to(start + dt.timedelta(minutes=29))
    assert nurse_client.get("/patients/").status_code == HTTPStatus.OK  # a person's request
    assert _expiry(nurse_client) > first + dt.timedelta(minutes=28)


def test_polling_alone_lets_the_session_end(nurse_client, time_machine):
    start = timezone.now()
    time_machine.move_to(start)
    nurse_client.get("/patients/")
    for minute in range(5, 35, 5):
        time_machine.move_to(start + dt.timedelta(minutes=minute))
        nurse_client.get("/alerts/badge/", HTTP_X_BACKGROUND_POLL="1")
    time_machine.move_to(start + dt.timedelta(minutes=31))
    response = nurse_client.get("/patients/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]


def test_user_without_membership_is_refused(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="drifter"))
    response = client.get("/patients/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"not a member" in response.content


def test_sign_out_needs_post_and_ends_the_session(nurse_client):
    response = nurse_client.post("/accounts/logout/")
    assert response.status_code == HTTPStatus.FOUND
    assert nurse_client.get("/patients/").status_code == HTTPStatus.FOUND


def test_password_change_page(nurse_client):
    response = nurse_client.get("/accounts/password/")
    assert response.status_code == HTTPStatus.OK
    assert b"Change password" in response.content
