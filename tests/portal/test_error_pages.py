"""403, 404 and 500 pages are portal pages: the same navigation, search and footer as every
other page; the 500 page reads nothing from the database (portal/errors.py says why)."""

import os
from http import HTTPStatus

import pytest
from django.test import Client, RequestFactory

from portal import errors
from tests.production import manage

pytestmark = pytest.mark.urls("tests.portal.error_urls")

NAV = b'aria-label="Main"'
SEARCH = b'id="nav-search"'


def test_404_page_carries_the_navigation_and_search(nurse_client):
    response = nurse_client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert NAV in response.content
    assert SEARCH in response.content
    assert b"care/alerts/badge" in response.content or b"/alerts/badge/" in response.content
    assert b"Not found" in response.content
    assert b"every time shows its zone" in response.content


def test_403_page_carries_the_navigation_and_the_reason(nurse_client):
    response = nurse_client.get("/test-errors/403/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert NAV in response.content
    assert SEARCH in response.content
    assert b"Only the billing lead may open this." in response.content


def test_404_for_someone_signed_out_has_no_menu(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert NAV not in response.content
    assert SEARCH not in response.content


def test_api_paths_keep_the_json_error_shape(nurse_client):
    response = nurse_client.get("/api/v1/no-such-thing", HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"] == "not_found"


def test_500_page_carries_the_navigation(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/test-errors/500/")
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert NAV in response.content
    assert SEARCH in response.content
    assert b"Something went wrong" in response.content
    assert b"boom" not in response.content


def test_500_page_reads_nothing_from_the_database(alice, django_assert_num_queries):
    request = RequestFactory().get("/roster/")
    request.user = alice
    request.membership = alice.membership  # what staff_view left on the request
    request.organization = request.membership.organization
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert NAV in response.content


def test_500_page_without_a_loaded_membership_has_no_menu_and_no_query(
    db, django_assert_num_queries
):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert NAV not in response.content


DEMO_404 = (
    "from django.conf import settings\n"
    "from django.test import Client\n"
    "r = Client(HTTP_HOST='127.0.0.1').get('/no-such-page/')\n"
    "print(settings.DEBUG, settings.SANDBOX_CONTROL, settings.SESSION_COOKIE_SECURE,"
    " settings.SECURE_SSL_REDIRECT, r.status_code,"
    " b'Back to the portal' in r.content, b'Using the URLconf' in r.content)"
)


def test_demo_settings_run_without_debug_and_show_the_portals_404():
    """The Makefile's DEMO_ENV: DEBUG off, yet plain http, throwaway keys, sandbox control."""
    result = manage(
        "shell",
        "-c",
        DEMO_404,
        DEMO="1",
        PORTAL_SANDBOX="1",
        WHITENOISE_USE_FINDERS="0",
        CELERY_TASK_ALWAYS_EAGER="1",
        SECRET_KEY=None,
        FIELD_ENCRYPTION_KEY=None,
        ALLOWED_HOSTS=None,
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last == "False True False False 404 True False", result.stdout + result.stderr
