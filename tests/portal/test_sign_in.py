from http import HTTPStatus

from django.conf import settings


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
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE == 30 * 60


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
