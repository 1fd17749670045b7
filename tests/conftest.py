"""Shared fixtures: the cast (alice the nurse, bob her colleague, olga the outsider), API
clients, the vendor sandbox over real HTTP, and Playwright on Debian's Chromium."""

import os

import pytest
from rest_framework.test import APIClient

from portal.models import Role, Vendor, VendorAccount
from portal.sandbox.state import FAULTS, STORE
from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


# --- the cast ----------------------------------------------------------------------------
@pytest.fixture
def org(db):
    return factories.OrganizationFactory(slug="riverside", name="Riverside Heart")


@pytest.fixture
def other_org(db):
    return factories.OrganizationFactory(slug="lakeside", name="Lakeside Family")


@pytest.fixture
def alice(org):
    """A nurse of `org`."""
    return factories.staff(org, Role.NURSE, username="alice", first_name="Alice")


@pytest.fixture
def bob(org):
    """A care coordinator of `org`."""
    return factories.staff(org, Role.COORDINATOR, username="bob", first_name="Bob")


@pytest.fixture
def ada(org):
    """An organization admin of `org`."""
    return factories.staff(org, Role.ORG_ADMIN, username="ada", first_name="Ada")


@pytest.fixture
def olga(other_org):
    """A nurse of another organization: the outsider."""
    return factories.staff(other_org, Role.NURSE, username="olga", first_name="Olga")


@pytest.fixture
def patient(org):
    return factories.PatientFactory(organization=org, first_name="Harriet", last_name="Quimby")


@pytest.fixture
def other_patient(other_org):
    return factories.PatientFactory(organization=other_org, first_name="Oscar", last_name="Other")


# --- clients -----------------------------------------------------------------------------
@pytest.fixture
def nurse_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def org_key(org):
    """(ApiKey, raw key) for `org` with every scope."""
    return factories.api_key(org)


@pytest.fixture
def api(org_key):
    """An API client authenticated with `org`'s key."""
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {org_key[1]}")
    return c


@pytest.fixture
def outsider_api(other_org):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.api_key(other_org)[1]}")
    return c


# --- the vendor sandbox ------------------------------------------------------------------
@pytest.fixture
def sandbox():
    """Fresh sandbox state (seeded from portal.demo) and no pending faults."""
    FAULTS.clear()
    STORE.reset()
    yield STORE
    FAULTS.clear()


@pytest.fixture
def faults(sandbox):
    return FAULTS


@pytest.fixture
def sandbox_url(live_server, sandbox):
    return f"{live_server.url}/sandbox"


@pytest.fixture
def vendor_accounts(org, sandbox_url):
    """`org` wired to every vendor's sandbox over real HTTP (like the demo)."""
    from portal.management.commands.load_demo_data import configure_sandbox_accounts

    configure_sandbox_accounts(org, sandbox_url.removesuffix("/sandbox"))
    return {a.vendor: a for a in VendorAccount.objects.filter(organization=org)}


@pytest.fixture
def impilo_account(vendor_accounts):
    return vendor_accounts[Vendor.IMPILO]


# --- Playwright on Debian's Chromium -----------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def screenshot_dir():
    path = os.path.join(os.path.dirname(__file__), "..", "test-artifacts", "screenshots")
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def signed_in_page(page, live_server, transactional_db):
    """Returns sign_in(user, password) that signs `user` in through the real login form."""

    def sign_in(user, password="correct horse battery staple"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return sign_in
