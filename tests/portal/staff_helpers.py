"""Set-up shared by the Staff page tests: an invitation made through the real service, and the
link from its email."""

import re

from django.core import mail

from portal import staff_services

LINK = re.compile(r"http\S+/staff/join/(?P<token>[\w-]+)/")


def invite(org, by, email="nina@example.org", role="nurse", clinical_staff=None):
    """(invitation, raw token) — sent through the service, the token read from the email."""
    row, sent = staff_services.staff_invite_send(
        organization=org, email=email, role=role, clinical_staff=clinical_staff, by=by
    )
    assert sent
    return row, token_in(mail.outbox[-1].body)


def token_in(body: str) -> str:
    match = LINK.search(body)
    assert match, body
    return match["token"]


def sign_up(client, token, username="nina", password="plum tree lantern 42", **fields):
    """Open the link, then post the sign-up form; returns the form's response (not followed)."""
    opened = client.get(f"/staff/join/{token}/")
    assert opened.status_code == 302, opened.status_code
    data = {
        "first_name": "Nina",
        "last_name": "Novak",
        "username": username,
        "password1": password,
        "password2": password,
        **fields,
    }
    return client.post("/staff/join/", data)
