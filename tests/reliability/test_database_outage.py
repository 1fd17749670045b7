"""PostgreSQL stops under a running portal: /readyz says so, staff get a maintenance page, the
API a 503 JSON; PostgreSQL starts again: everything recovers without restarting the portal."""

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    # It stops the shared service: bin/run-tests runs it alone, after the parallel tests.
    pytest.mark.exclusive_services,
    pytest.mark.skipif(
        not os.environ.get("PG_DATA_DIR"),
        reason="needs the throwaway PostgreSQL of bin/with-services",
    ),
]


def pg_ctl(*args):
    cmd = [f"{os.environ['PG_BINDIR']}/pg_ctl", "-D", os.environ["PG_DATA_DIR"], *args]
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def portal_server(transactional_db, alice, tmp_path):
    """The portal in its own process (runserver, threaded) on the test database."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(f"{base}/healthz", timeout=1).ok
        except requests.ConnectionError:
            return False

    wait_for(up, timeout=30, message="the portal to start")
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_database_outage_and_recovery(portal_server, alice, patient):
    session = requests.Session()
    login = session.get(f"{portal_server}/accounts/login/", timeout=5)
    assert login.status_code == HTTPStatus.OK
    session.post(
        f"{portal_server}/accounts/login/",
        data={
            "username": "alice",
            "password": "correct horse battery staple",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{portal_server}/accounts/login/"},
        timeout=5,
    )
    assert session.get(f"{portal_server}/patients/", timeout=5).status_code == HTTPStatus.OK

    connection.close()
    pg_ctl("-m", "fast", "-w", "stop")
    try:
        ready = requests.get(f"{portal_server}/readyz", timeout=10)
        assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert ready.json()["failed"] == ["database"]
        page = session.get(f"{portal_server}/patients/{patient.pk}/", timeout=10)
        assert page.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert "briefly unavailable" in page.text
        assert "Traceback" not in page.text
        api = session.get(f"{portal_server}/api/v1/patients", timeout=10)
        assert api.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert api.json()["error"] == "service_unavailable"
    finally:
        pg_ctl("-w", "-t", "30", "-l", os.environ["SERVICES_DIR"] + "/pg.log", "start")

    wait_for(
        lambda: requests.get(f"{portal_server}/readyz", timeout=5).status_code == HTTPStatus.OK,
        message="readyz to recover",
    )
    page = session.get(f"{portal_server}/patients/{patient.pk}/", timeout=10)
    assert page.status_code == HTTPStatus.OK
    assert "Quimby" in page.text
