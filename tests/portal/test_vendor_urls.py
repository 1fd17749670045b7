"""Where the portal may call: HTTPS to a host on the vendor's allow-list (or the local sandbox
with PORTAL_SANDBOX), checked when a base URL is saved AND on every call, so a bad URL stored
any other way is never called; redirects are not followed; an unexpected answer is never shown
verbatim. Only superusers set base URLs in admin."""

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from devices.clients import ImpiloClient
from portal.http import VendorError
from portal.models import VendorAccount
from tests.portal.second_factor_helpers import superuser_signed_in

ALLOW = {"impilo": ["api.impilo.example", ".impilo-eu.example"], "validic": [], "solo": []}
SECRET_PAGE = "<html><h1>internal metadata: aws-secret-key=AKIA-NOT-FOR-STAFF</h1></html>"


@pytest.fixture
def production_urls(settings):
    settings.PORTAL_SANDBOX = False
    settings.VENDOR_ALLOWED_HOSTS = {**ALLOW, "patient_graph": []}


@pytest.fixture
def local_server():
    """A plain HTTP server on 127.0.0.1 that records each request; `answer` sets the reply."""

    class Handler(BaseHTTPRequestHandler):
        hits: list = []
        answer = (200, "application/json", "{}", {})

        def do_GET(self):
            self.hits.append(self.path)
            status, kind, body, headers = self.answer
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    Handler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = Handler
    server.url = f"http://127.0.0.1:{server.server_port}/"
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://api.impilo.example/", None),
        ("https://api.impilo.example/v1/", None),
        ("https://eu1.impilo-eu.example/", None),
        ("http://api.impilo.example/", "must use https://."),
        ("https://evil.example/", "host “evil.example” is not on the allow-list"),
        ("https://169.254.169.254/latest/", "host “169.254.169.254” is not on the allow-list"),
        ("https://api.impilo.example.evil.example/", "is not on the allow-list"),
        ("https://api.impilo.example:8443/", "must use the standard HTTPS port."),
        ("https://me:pw@api.impilo.example/", "must not contain a user name or password."),
        ("http://127.0.0.1:8000/sandbox/impilo/", "must use https://."),
    ],
)
def test_the_model_accepts_only_allowed_base_urls(production_urls, org, url, problem):
    account = VendorAccount(organization=org, vendor="impilo", base_url=url)
    if problem is None:
        account.full_clean()
        return
    with pytest.raises(ValidationError) as caught:
        account.full_clean()
    assert problem in caught.value.message_dict["base_url"][0]


def test_the_sandbox_url_is_allowed_only_with_the_sandbox(settings, org):
    account = VendorAccount(
        organization=org, vendor="solo", base_url="http://127.0.0.1:8000/sandbox/solo/"
    )
    settings.PORTAL_SANDBOX = True
    account.full_clean()
    settings.PORTAL_SANDBOX = False
    with pytest.raises(ValidationError):
        account.full_clean()


def test_a_stored_bad_url_is_never_called(production_urls, org, local_server, caplog):
    VendorAccount.objects.create(organization=org, vendor="impilo", base_url=local_server.url)
    client = ImpiloClient.for_organization(org)
    with caplog.at_level(logging.INFO), pytest.raises(VendorError) as caught:
        client.get_site(501)
    assert caught.value.code == "base_url_not_allowed"
    assert caught.value.staff_message == (
        "Impilo is not set up for this organization (ask an administrator). Nothing was changed."
    )
    assert local_server.handler.hits == []


def test_a_path_cannot_take_a_call_to_another_host(settings, local_server):
    settings.PORTAL_SANDBOX = False
    settings.VENDOR_ALLOWED_HOSTS = {**ALLOW, "patient_graph": []}
    client = ImpiloClient("https://api.impilo.example/", secrets={})
    with pytest.raises(VendorError) as caught:
        client.request("GET", local_server.url + "steal")
    assert caught.value.code == "base_url_not_allowed"
    assert local_server.handler.hits == []


def test_an_unexpected_answer_is_never_shown_verbatim(db, local_server, caplog):
    local_server.handler.answer = (404, "text/html", SECRET_PAGE, {})
    client = ImpiloClient(local_server.url, secrets={}, retries=0)
    with caplog.at_level(logging.DEBUG), pytest.raises(VendorError) as caught:
        client.get_site(501)
    error = caught.value
    assert (error.status, error.message) == (
        404,
        "answered with an unexpected response (HTTP 404)",
    )
    assert error.staff_message == (
        "Impilo refused the request: answered with an unexpected response (HTTP 404)"
    )
    assert error.body is None
    assert "AKIA" not in caplog.text


def test_a_vendor_json_message_is_passed_on_but_shortened(db, local_server):
    long = "x" * 5000
    local_server.handler.answer = (409, "application/json", f'{{"message": "{long}"}}', {})
    client = ImpiloClient(local_server.url, secrets={}, retries=0)
    with pytest.raises(VendorError) as caught:
        client.get_site(501)
    assert caught.value.message == "x" * 300


def test_redirects_are_not_followed(db, local_server):
    target = "http://127.0.0.1:9/internal"
    local_server.handler.answer = (302, "text/html", SECRET_PAGE, {"Location": target})
    client = ImpiloClient(local_server.url, secrets={}, retries=0)
    with pytest.raises(VendorError) as caught:
        client.get_site(501)
    assert caught.value.status == HTTPStatus.FOUND
    assert "AKIA" not in caught.value.staff_message
    assert local_server.handler.hits == ["/v1/sites/501"]


# --- admin: only superusers set where the portal calls ---------------------------------------
def test_org_admin_cannot_change_a_base_url_or_add_an_account(client, ada, org):
    account = VendorAccount.objects.create(
        organization=org, vendor="impilo", base_url="https://api.impilo.example/"
    )
    client.force_login(ada)
    page = client.get(f"/admin/portal/vendoraccount/{account.pk}/change/").content.decode()
    assert 'name="base_url"' not in page
    response = client.post(
        f"/admin/portal/vendoraccount/{account.pk}/change/",
        {"base_url": "http://169.254.169.254/", "is_enabled": "on", "secrets": "{}"},
    )
    assert response.status_code == HTTPStatus.FOUND
    account.refresh_from_db()
    assert account.base_url == "https://api.impilo.example/"
    added = client.post(
        "/admin/portal/vendoraccount/add/",
        {"organization": org.pk, "vendor": "solo", "base_url": "https://x.example/"},
    )
    assert added.status_code == HTTPStatus.FORBIDDEN
    assert not VendorAccount.objects.filter(vendor="solo").exists()


def test_superuser_base_urls_are_checked_against_the_allow_list(client, production_urls, org):
    superuser_signed_in(client)
    body = {"organization": org.pk, "vendor": "impilo", "secrets": "{}", "is_enabled": "on"}
    refused = client.post(
        "/admin/portal/vendoraccount/add/", {**body, "base_url": "https://evil.example/"}
    )
    assert refused.status_code == HTTPStatus.OK
    assert "is not on the allow-list" in refused.content.decode()
    assert not VendorAccount.objects.exists()
    accepted = client.post(
        "/admin/portal/vendoraccount/add/", {**body, "base_url": "https://api.impilo.example/"}
    )
    assert accepted.status_code == HTTPStatus.FOUND
    assert VendorAccount.objects.get().base_url == "https://api.impilo.example/"
