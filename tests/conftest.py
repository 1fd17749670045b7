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
    # A held answer (a "timeout" fault, or a call the client gave up on under load) still
    # applies its change when it wakes: let it land here, not in the next test's fresh store.
    wait_for(lambda: STORE.in_flight == 0, timeout=30, message="sandbox requests to finish")


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


# --- a real Celery worker ----------------------------------------------------------------
@pytest.fixture
def celery_worker_process(transactional_db, settings, tmp_path):
    """Start `celery -A portal worker` (prefork, acks_late) against this run's Redis and the
    test database; tasks sent during the test go to it instead of running eagerly.
    Yields a handle with `.stop()`, `.kill()` (SIGKILL, to test crashes) and `.start()`."""
    import signal
    import subprocess
    import sys
    import time

    from django.db import connection

    from portal.celery import app

    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (make test starts Redis)")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    root = os.path.dirname(os.path.dirname(__file__))

    class Worker:
        proc = None
        log = tmp_path / "worker.log"

        def start(self, timeout=30):
            self.log.write_text("")
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "portal",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-Q",
                    "default",
                    "--loglevel=INFO",
                ],
                cwd=root,
                env=env,
                stdout=self.log.open("w"),
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + timeout
            while "ready." not in self.log.read_text():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("worker did not start:\n" + self.log.read_text())
                time.sleep(0.05)
            return self

        def stop(self):
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()

        def kill(self):
            """SIGKILL the whole worker (main process and its pool children)."""
            if self.proc and self.proc.poll() is None:
                subprocess.run(["pkill", "-KILL", "-P", str(self.proc.pid)], check=False)
                self.proc.kill()
                self.proc.wait()

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    worker = Worker().start()
    yield worker
    worker.stop()
    app.conf.task_always_eager = previous


def wait_for(condition, timeout=20.0, interval=0.05, message="condition"):
    """Poll `condition()` until truthy (no fixed sleeps in tests)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)
