import threading
import traceback

import pytest
from django.db import connection

from appointments.clients import SoloClient
from portal.http import VendorClient
from portal.models import Vendor
from portal.sandbox import world as demo
from portal.sandbox.solo_common import LINKING_SECRET


@pytest.fixture(autouse=True)
def no_solo_call_in_a_transaction(request, monkeypatch):
    """Fails the test when its code calls Solo inside `transaction.atomic` (and so under any
    `select_for_update` lock, which needs one): the rule is claim, call, then record.

    The `db` fixture runs each test inside a transaction of its own, so the depth that counts is
    the one above the test's baseline, taken once the database fixture is in place. Calls made
    on other threads (a live server's) are measured from zero. Violations are collected and fail
    the test at teardown, since a service may catch whatever the call raises."""
    for name in ("transactional_db", "db"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
            break
    test_thread = threading.get_ident()
    baseline = len(connection.atomic_blocks)
    violations = []
    send = VendorClient.request

    def guarded(self, method, path, **kwargs):
        depth = len(connection.atomic_blocks)
        allowed = baseline if threading.get_ident() == test_thread else 0
        if self.vendor == Vendor.SOLO and depth > allowed:
            where = "".join(traceback.format_stack(limit=8)[:-1])
            violations.append(f"Solo {method} {path} at atomic depth {depth}:\n{where}")
        return send(self, method, path, **kwargs)

    monkeypatch.setattr(VendorClient, "request", guarded)
    yield violations
    if violations:
        pytest.fail("Solo was called inside a transaction:\n" + "\n".join(violations))


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded attachments keep a copy under MEDIA_ROOT: each test gets its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def solo(sandbox_url):
    """A Solo client talking to the sandbox over real HTTP."""
    return SoloClient(
        f"{sandbox_url}/solo/",
        secrets={"api_key": demo.SOLO_API_KEY, "teams_auth_token": demo.SOLO_TEAMS_TOKEN},
    )


@pytest.fixture
def solo_account(vendor_accounts):
    """`org`'s Solo account (sandbox), with the brand's linking secret."""
    account = vendor_accounts["solo"]
    account.secrets = {**account.secrets, "linking_secret": LINKING_SECRET}
    account.save()
    return account


@pytest.fixture
def rooms(org, solo_account):
    """`org`'s waiting rooms, synced from the sandbox: {name: WaitingRoom}."""
    from appointments.sync import waiting_rooms_sync

    return {r.name: r for r in waiting_rooms_sync(organization=org)}


def future_slot(days=13, hour=10, minute=0, zone="America/New_York"):
    """A slot start (aware, UTC) `days` ahead at `hour` in the practice's time zone."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    day = datetime.now(tz).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def solo_patient(org):
    """A patient of `org` known to the sandbox (demo patient 30's Solo id)."""
    from tests.factories import PatientFactory

    p = demo.demo_patients()[30]
    return PatientFactory(
        organization=org,
        first_name="Harriet",
        last_name="Quimby",
        solo_id=p.solo_id,
        solo_spid=p.solo_spid,
    )


@pytest.fixture
def book(rooms, solo_patient, bob):
    """book(days=13, hour=10, room="Cardiology Follow-up", patient=solo_patient) through the
    real service against the sandbox."""
    from appointments.services.booking import appointment_book

    def _book(days=13, hour=10, minute=0, room="Cardiology Follow-up", patient=None):
        return appointment_book(
            patient=patient or solo_patient,
            waiting_room=rooms[room],
            starts_at=future_slot(days, hour, minute),
            reasons=["BP review"],
            by=bob,
        )

    return _book
