"""Shared fixtures: the cast (alice the nurse, bob her colleague, olga the outsider), API
clients, the vendor sandbox over real HTTP, and Playwright on Debian's Chromium."""

import contextlib
import os
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.core.signals import request_finished, request_started
from django.test.testcases import LiveServerThread
from rest_framework.test import APIClient

from portal.devserver import NoDelayMixin
from portal.models import Vendor, VendorAccount
from portal.sandbox.state import FAULTS, STORE
from tests import factories, fake_now, template_db

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_addoption(parser):
    parser.addoption(
        "--fake-now",
        metavar="INSTANT",
        default=None,
        help="run the whole session as if it started at INSTANT (ISO 8601 with an offset, "
        "e.g. 2026-11-30T05:40:00Z); the clock keeps ticking from there",
    )


def pytest_configure(config):
    _static_files_looked_up_when_asked()
    _flush_by_delete_on_postgresql()
    _celery_join_flag_per_thread()
    _travel_to_fake_now(config)
    _browser_assertions_wait_for_a_loaded_machine()


def pytest_unconfigure(config):
    traveller = getattr(config, "_fake_now_traveller", None)
    if traveller is not None:
        traveller.stop()


@pytest.hookimpl(trylast=True)  # after the conftests that mark items `live_sandbox`
def pytest_collection_modifyitems(config, items):
    on_sqlite = _database_vendor() == "sqlite"
    for item in items:
        _live_sandbox_is_transactional(item)
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
        # The SQLite pass (make test's second run, `-m both_databases`) knows which rules the
        # demo's database still gets wrong: those fail there as expected, and strictly, so a
        # fix shows up as "XPASS(strict)" until the mark is removed.
        expected = item.get_closest_marker("sqlite_xfail")
        if on_sqlite and expected is not None:
            reason = expected.kwargs.get("reason") or (expected.args[0] if expected.args else "")
            item.add_marker(pytest.mark.xfail(reason=f"SQLite: {reason}", strict=True))
    _longest_first(items)


def _longest_first(items):
    """Modules in the order the parallel pass should start them (bin/run-tests hands whole
    modules to workers in collection order, `--no-loadscope-reorder`): those holding a test
    marked `heavy` (tens of seconds each), then those running a real Celery worker, then the
    browser's (5-20 s a test), then the rest
    by number of tests, most first. Started last, one heavy test kept a single core busy for
    a minute or three after every other worker had finished."""
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)

    def start_order(tests):
        heavy = any(t.get_closest_marker("heavy") for t in tests)
        # A real Celery worker: the test mostly waits on another process (its start, its
        # tasks). Started early, the wait overlaps other workers' CPU; at the end of the pass
        # (where their few tests put them) it left the cores idle (vmstat, run s12-3).
        waits = any("celery_worker_process" in t.fixturenames for t in tests)
        browser = tests[0].nodeid.startswith("tests/browser/")
        return (not heavy, not waits, not browser, -len(tests))

    items[:] = [item for tests in sorted(modules.values(), key=start_order) for item in tests]


# Passes of bin/run-tests that select one mark: the test modules that never name it are not
# imported at all (the schemathesis module alone builds every operation's cases at import).
SINGLE_MARK_PASSES = ("both_databases", "exclusive_services")


def pytest_ignore_collect(collection_path, config):
    """The SQLite pass (`-m both_databases` alone) and the exclusive-services pass (`-m
    exclusive_services`) do not import test modules that never name their mark: they would
    select nothing, and importing them costs (the schemathesis module builds every operation's
    cases at collection: 8 s). The mark is only ever put in a test module's own source; a
    conftest that adds it to other modules' items must change this."""
    mark = config.getoption("markexpr")
    if mark not in SINGLE_MARK_PASSES:
        return None
    name = collection_path.name
    if name.startswith("test_") and name.endswith(".py"):
        return mark not in collection_path.read_text(encoding="utf-8") or None
    return None


def _database_vendor():
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "sqlite" if engine.endswith("sqlite3") else "postgresql"


def _static_files_looked_up_when_asked():
    """WhiteNoise's middleware reads every static file the finders know (about 250, with
    their headers) when it is built, and Django's test client builds the middleware once per
    client, which is once per test: 17 % of the portal tests' time (cProfile). With
    autorefresh (WhiteNoise's default under DEBUG) it finds a file when one is asked for
    instead; the same files are served with the same headers."""
    from django.conf import settings

    settings.WHITENOISE_AUTOREFRESH = True


def _flush_by_delete_on_postgresql():
    """After each transactional test Django empties every table with one TRUNCATE, which on
    PostgreSQL gives each of ~130 tables and their indexes new files: 0.2-0.5 s a flush, the
    largest single statement in a make-test run (pg_stat_statements) and ~280 flushes of it.
    DELETE empties the same tables in a few milliseconds when, as here, they hold a handful of
    rows. `session_replication_role = replica` (this transaction only) skips triggers and
    foreign-key checks as TRUNCATE does; sequences are kept in both (Django resets them only
    when a test asks, and then the TRUNCATE is used). Measured on 80 contract tests that use
    the live server: 33-38 s -> 18 s (with the two tables below kept)."""
    from django.apps.registry import Apps
    from django.core.management.commands import flush
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush
    emit_post_migrate = flush.emit_post_migrate_signal
    # What migrate made and no test changes: kept, instead of writing ~700 rows again.
    kept = {"django_content_type", "auth_permission"}
    deleted = threading.local()  # this thread's flush took the DELETE path (flush's handle)

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        deleted.kept = True
        deletes = [
            f"DELETE FROM {self.quote_name(table)}"  # noqa: S608 (names from Django's own list)
            for table in tables
            if table not in kept
        ]
        return ["SET LOCAL session_replication_role = replica", *deletes]

    def emit_post_migrate_signal(verbosity, interactive, db, **kwargs):
        """The post_migrate that follows the flush. After a DELETE flush the content types and
        permissions are in place, yet Django's receivers would read back all ~700 of them per
        flush (7 transactional modules: 32.9 CPU-s with this, 36.0 without): they are told the
        migration left no apps (the documented `apps` argument; both return when it holds no
        content types), while the project's own receivers, which refill what the flush
        deleted, run as usual."""
        if getattr(deleted, "kept", False):
            deleted.kept = False
            kwargs["apps"] = Apps(installed_apps=())
        emit_post_migrate(verbosity, interactive, db, **kwargs)

    DatabaseOperations.sql_flush = sql_flush
    flush.emit_post_migrate_signal = emit_post_migrate_signal


def _browser_assertions_wait_for_a_loaded_machine():
    """Playwright's `expect` retries for 5 s by default. A step that calls a vendor sandbox
    through the live server (assigning a device: claim, vendor call, record) took longer once
    with three workers each driving Chromium on two cores (tests/browser alone, a missing
    device link after the Assign click). 15 s: a passing assertion returns as soon as it holds,
    so only a failing one waits longer."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


# --- --fake-now: the suite at a chosen instant (tests/fake_now.py) ------------------------
def _travel_to_fake_now(config):
    """Started before test modules are imported, so their module-level constants move too."""
    value = config.getoption("fake_now")
    if not value:
        return
    try:
        instant = fake_now.parse(value)
    except ValueError as exc:
        raise pytest.UsageError(f"--fake-now {value!r}: {exc}") from None
    config._fake_now_traveller = fake_now.start(instant)


# --- one migration per run: test databases copied from a template (tests/template_db.py) ----
@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, django_db_blocker, request):
    """Before pytest-django creates this process's test database: wait for the template, and
    start from it if it exists (else this process migrates and saves it)."""
    from django.db import connection

    request.config._template_db = None
    if not template_db.wanted(connection) or request.config.getoption("reuse_db"):
        return
    name = template_db.template_name()
    lock = template_db.Lock(connection, name)
    lock.acquire()
    with django_db_blocker.unblock():
        copied = template_db.start_from(connection, name)
    request.config._template_db = template_db.Claim(name, lock, copied)


@pytest.fixture(scope="session")
def django_db_keepdb(django_db_keepdb, django_db_modify_db_settings, request):
    """SQLite's copy of the template is this process's test database: Django keeps it."""
    claim = request.config._template_db
    return django_db_keepdb or bool(claim and claim.copied and _database_vendor() == "sqlite")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """After it: a process that migrated saves the template; then the next process may go."""
    from django.db import connection

    claim = request.config._template_db
    if claim is None:
        return
    try:
        if not claim.copied:
            with django_db_blocker.unblock():
                template_db.save(connection, claim.name)
    finally:
        claim.lock.release()


# --- process-wide state, isolated per test ----------------------------------------------
def _celery_join_flag_per_thread():
    """Celery keeps "inside a task" (which makes `result.get()` raise) in one process-wide
    flag, set and restored around every eager task without a lock: right for a worker
    process, which runs one task at a time, wrong for a test process, where the live server's
    threads run eager tasks (a Solo webhook, a sandbox callback) while the test thread runs
    its own. Two overlapping tasks restore each other's value and leave the flag set for the
    rest of the run. Each thread gets its own flag here, so no thread sees another's task."""
    import threading

    from celery import _state, result

    flag = threading.local()

    def task_join_will_block():
        return getattr(flag, "blocks", False)

    def set_task_join_will_block(blocks):
        flag.blocks = blocks

    for module in (_state, result):
        module.task_join_will_block = task_join_will_block
        module._set_task_join_will_block = set_task_join_will_block


# --- the live server answers without Nagle's delay ---------------------------------------
# Django's live server writes a response's headers and its body in two send() calls. On a
# kept-alive connection (Chromium, a requests.Session: the vendor clients, Schemathesis) Nagle's
# algorithm holds the body until the client acknowledges the headers, and the client delays
# that acknowledgement by up to 40 ms: every response took 45-60 ms instead of 1-5 ms, which was
# most of the Schemathesis run's three minutes and much of every browser test's wait.
# TCP_NODELAY on each accepted connection sends both parts at once (as gunicorn does, and as
# `make demo`'s runserver does: portal/devserver).
class _NoDelayWSGIServer(NoDelayMixin, ThreadedWSGIServer):
    pass


LiveServerThread.server_class = _NoDelayWSGIServer


# --- the live server's requests end before the database is flushed ---------------------------
# A page left open at the end of a browser test keeps talking to the live server: the live
# notice, the alert badge and the worklist counts load with every page and poll after it. A
# request still running when pytest-django truncates the tables holds a lock the TRUNCATE needs
# while waiting for one the TRUNCATE holds: PostgreSQL kills the flush as a deadlock, and the
# rows left behind fail the worker's next tests (run s6-5). So before any fixture is torn down,
# every page of the test's browser goes to about:blank (no more polls) and the live server's
# requests in flight are waited for. Counted in the server's request threads only (the test
# client runs in the main thread and may leave a streaming response unread).
_LIVE_REQUESTS = {"in_flight": 0}
_LIVE_LOCK = threading.Condition()


def _live_request_started(**kwargs):
    if threading.current_thread() is not threading.main_thread():
        with _LIVE_LOCK:
            _LIVE_REQUESTS["in_flight"] += 1


def _live_request_finished(**kwargs):
    if threading.current_thread() is not threading.main_thread():
        with _LIVE_LOCK:
            _LIVE_REQUESTS["in_flight"] = max(0, _LIVE_REQUESTS["in_flight"] - 1)
            _LIVE_LOCK.notify_all()


request_started.connect(_live_request_started, weak=False, dispatch_uid="tests-live-started")
request_finished.connect(_live_request_finished, weak=False, dispatch_uid="tests-live-finished")


def _quiet_browser(item) -> None:
    browser = item.funcargs.get("browser")
    contexts = list(browser.contexts) if browser is not None else []
    for context in contexts:
        for open_page in list(context.pages):
            with contextlib.suppress(Exception):  # a page the test closed or crashed
                open_page.goto("about:blank")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if "live_server" in getattr(item, "fixturenames", ()):
        _quiet_browser(item)
        with _LIVE_LOCK:
            _LIVE_LOCK.wait_for(lambda: _LIVE_REQUESTS["in_flight"] == 0, timeout=60)
    yield


@pytest.fixture(autouse=True)
def _isolated_process_state():
    """Nothing a test leaves in this process's memory or in the shared cache reaches the next
    one: the cache (Redis under make test: rate-limit windows, throttles), the threshold rule
    cache, queued sandbox faults, and this thread's Celery join flag. Database rows are
    pytest-django's job; the sandbox's store is reset by the `sandbox` fixture for the tests
    that use it."""
    from celery.result import _set_task_join_will_block
    from django.core.cache import cache

    from readings import thresholds

    _set_task_join_will_block(False)
    FAULTS.clear()
    thresholds._cache.clear()
    cache.clear()
    yield
    _set_task_join_will_block(False)
    FAULTS.clear()


# --- the cast ----------------------------------------------------------------------------
@pytest.fixture
def org(db):
    return factories.our_organization()


@pytest.fixture
def other_org(db):
    return factories.other_organization()


@pytest.fixture
def alice(org):
    """A nurse of `org`."""
    return factories.cast_member("alice", org)


@pytest.fixture
def bob(org):
    """A care coordinator of `org`."""
    return factories.cast_member("bob", org)


@pytest.fixture
def ada(org):
    """An organization admin of `org`."""
    return factories.cast_member("ada", org)


@pytest.fixture
def petra(org):
    """A physician / QHP of `org` (interprets data for 99091, signs billing reports)."""
    return factories.cast_member("petra", org)


@pytest.fixture
def olga(other_org):
    """A nurse of another organization: the outsider."""
    return factories.cast_member("olga", other_org)


@pytest.fixture
def patient(org):
    return factories.our_patient(org)


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
    refused = list(FAULTS.refused)
    FAULTS.clear()
    # A held answer (a "timeout" fault, or a call the client gave up on under load) still
    # applies its change when it wakes, and Solo's webhooks are posted from a background pool:
    # let both land here, not in the next test (the live server lives for the whole session).
    wait_for(
        lambda: STORE.in_flight == 0 and all(e["status"] is not None for e in list(STORE.outbox)),
        timeout=30,
        message="sandbox requests and webhook deliveries to finish",
    )
    # Also when the code under test swallowed the SocketFaultInProcess the caller got.
    assert not refused, refused[0]


@pytest.fixture
def faults(sandbox):
    return FAULTS


# The sandbox answered in process (portal/inprocess.py): the same clients, HTTP layer, URL
# routing and sandbox views, no socket and no live server. Port 9 (discard) is never served,
# so a call that escaped the in-process transport fails loudly instead of reaching anything.
IN_PROCESS_BASE = "http://127.0.0.1:9"
# Fixtures that put the sandbox on the live server: the test runs the live server anyway, or
# a real Celery worker, another process, which can reach this process's sandbox only over HTTP.
LIVE_SANDBOX_FIXTURES = ("live_server", "celery_worker_process")


def _wants_live_sandbox(item) -> bool:
    return item.get_closest_marker("live_sandbox") is not None or any(
        name in item.fixturenames for name in LIVE_SANDBOX_FIXTURES
    )


def _live_sandbox_is_transactional(item) -> None:
    """A test marked `live_sandbox` shares its rows with the live server's threads, so its
    database is transactional (committed, flushed afterwards), as with `live_server`."""
    if item.get_closest_marker("live_sandbox") is None:
        return
    marker = item.get_closest_marker("django_db")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    if not kwargs.get("transaction"):
        # First among the item's marks, so it is the closest django_db mark pytest-django reads.
        item.add_marker(pytest.mark.django_db(**{**kwargs, "transaction": True}), append=False)


@pytest.fixture
def sandbox_url(request, sandbox):
    """The sandbox's base URL. Answered in process unless the test is about HTTP: marked
    `live_sandbox` (the contract tests, the fault cells that need a socket, webhook deliveries,
    the browser), or running the live server or a real Celery worker anyway; then over real
    HTTP on the live server."""
    from portal.inprocess import in_process_transport

    if _wants_live_sandbox(request.node):
        yield f"{request.getfixturevalue('live_server').url}/sandbox"
        return
    with in_process_transport(IN_PROCESS_BASE):
        yield f"{IN_PROCESS_BASE}/sandbox"


@pytest.fixture
def live_sandbox_url(live_server, sandbox_url):
    """The sandbox over real HTTP (`live_server` among the fixtures puts it there)."""
    return sandbox_url


def _accounts(org, url):
    from portal.management.commands.load_demo_data import configure_sandbox_accounts

    configure_sandbox_accounts(org, url.removesuffix("/sandbox"))
    return {a.vendor: a for a in VendorAccount.objects.filter(organization=org)}


@pytest.fixture
def vendor_accounts(org, sandbox_url):
    """`org` wired to every vendor's sandbox (in process, or over HTTP: see `sandbox_url`)."""
    return _accounts(org, sandbox_url)


@pytest.fixture
def live_vendor_accounts(live_server, vendor_accounts):
    """`org` wired to every vendor's sandbox over real HTTP (like the demo)."""
    return vendor_accounts


@pytest.fixture
def impilo_account(vendor_accounts):
    return vendor_accounts[Vendor.IMPILO]


# --- Playwright on Debian's Chromium -----------------------------------------------------
@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (tests/smtp.py) that the portal's email goes to for this test."""
    from tests.smtp import SmtpServer

    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.stop()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Each browser context's window preloads the omnibox's drop-down, a WebUI page in a renderer of
# its own (chrome://omnibox-popup.top-chrome/): ~1 CPU-s a context, ~35 CPU-s a make-test run,
# for a box headless Chromium never shows.
UNUSED_FEATURES = ["WebUIOmniboxPopup", "WebUIOmniboxAimPopup"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    args = {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
    # Chromium keeps only the last --disable-features of its command line, and Playwright passes
    # its own list (features that would call Google's servers or change behaviour under test):
    # ours repeats that list, read from the features a browser launched by Playwright disabled.
    disabled = [*_features_disabled_by(playwright.chromium, args), *UNUSED_FEATURES]
    return {**args, "args": [*CHROMIUM_ARGS, "--disable-features=" + ",".join(disabled)]}


def _features_disabled_by(browser_type, launch_args) -> list[str]:
    browser = browser_type.launch(**launch_args)
    try:
        page = browser.new_page()
        page.goto("chrome://version/?show-variations-cmd")
        text = page.inner_text("body")
    finally:
        browser.close()
    # The "Command-line Variations" row: the features in effect, quoted (the raw command line
    # above it repeats each switch as given).
    for part in text.split():
        if part.startswith('--disable-features="'):
            return [f for f in part.split("=", 1)[1].strip('"').split(",") if f]
    # Not found: launching with only ours would silently drop Playwright's list.
    raise RuntimeError("chrome://version shows no --disable-features in effect; see conftest")


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
    return password_sign_in(page, live_server.url)


def password_sign_in(page, base_url):
    """sign_in(user, password): the password step through the real login form at `base_url`;
    the page is left wherever the portal sends the user next (home, or the second step)."""

    def sign_in(user, password="correct horse battery staple"):
        page.goto(f"{base_url}/accounts/login/")
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

        # Generous: a worker importing the project on a loaded 2-core machine has taken over
        # 30 s. Polling returns as soon as it is ready, so a quiet machine does not wait.
        def start(self, timeout=180):
            self.log.write_text("")
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    *fake_now.python_module("celery"),  # on the session's clock
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
                    # Never leave a half-started worker behind: connected to the test
                    # database, it would deadlock the flush after this test and fail the
                    # tests after it.
                    self.kill()
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
