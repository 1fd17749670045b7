"""Browser fixtures for pages that need a host name rather than an IP address: WebAuthn
refuses an IP address as relying-party id, so passkey tests reach the live server (still bound
where pytest-django put it, e.g. 127.0.0.1) as http://localhost:<port>."""

from urllib.parse import urlsplit

import pytest

from tests.conftest import password_sign_in


@pytest.fixture
def localhost_url(live_server, settings):
    """The live server's URL with the host name `localhost`."""
    if "localhost" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    return f"http://localhost:{urlsplit(live_server.url).port}"


@pytest.fixture
def localhost_sign_in(page, localhost_url):
    """Returns sign_in(user, password) for the password step at http://localhost:<port>; the
    page is left wherever the portal sends the user next (home, or the second step)."""
    return password_sign_in(page, localhost_url)


@pytest.fixture
def virtual_authenticator(page):
    """A platform authenticator (like Touch ID) in Chromium, through the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")
