"""Headers, CSRF and production transport security."""

import json
from http import HTTPStatus

from django.test import Client

from tests.production import last_line, manage


def test_pages_carry_a_strict_content_security_policy(nurse_client):
    response = nurse_client.get("/patients/")
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(nurse_client, patient):
    for url in ["/patients/", f"/patients/{patient.pk}/", "/accounts/password/"]:
        html = nurse_client.get(url).content.decode()
        assert "<script>" not in html, url
        assert " style=" not in html, url
        assert " onclick=" not in html, url


def test_sign_in_form_requires_csrf(db, alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery staple"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Reload the page" in response.content


def test_session_api_writes_require_csrf_json_shape(db, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/v1/patients", {}, content_type="application/json")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "permission_denied"
    assert "CSRF" in response.json()["message"]


def test_htmx_requests_send_the_csrf_token_header(nurse_client):
    html = nurse_client.get("/patients/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_production_transport_security():
    """With production settings: HTTPS redirect, HSTS, secure cookies."""
    code = (
        "import json\n"
        "from django.conf import settings\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "plain = c.get('/accounts/login/', HTTP_HOST='portal.example.org')\n"
        "tls = c.get('/accounts/login/', HTTP_HOST='portal.example.org', secure=True)\n"
        "health = c.get('/healthz', HTTP_HOST='portal.example.org')\n"
        "print(json.dumps({'plain': plain.status_code, 'location': plain.get('Location'),"
        " 'hsts': tls.get('Strict-Transport-Security'), 'health': health.status_code,"
        " 'session_secure': settings.SESSION_COOKIE_SECURE,"
        " 'csrf_secure': settings.CSRF_COOKIE_SECURE,"
        " 'csrf_cookie': str(tls.cookies.get('csrftoken', ''))}))\n"
    )
    result = manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    facts = json.loads(last_line(result))
    assert facts["plain"] == HTTPStatus.MOVED_PERMANENTLY
    assert facts["location"] == "https://portal.example.org/accounts/login/"
    assert facts["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert facts["health"] == HTTPStatus.OK  # probes speak plain HTTP behind the proxy
    assert facts["session_secure"] is True
    assert facts["csrf_secure"] is True
    assert "Secure" in facts["csrf_cookie"]
    assert "HttpOnly" not in facts["csrf_cookie"]  # htmx reads the token from the page


def test_api_keys_are_compared_in_constant_time():
    import inspect

    from portal.models import ApiKey

    assert "hmac.compare_digest" in inspect.getsource(ApiKey.matches)
