"""Redis (cache, rate limit, Celery broker) stopped and started again in the middle of a run.

Promise: while Redis is down, staff pages and the API (reads and reading ingestion) keep being
served — the rate limit fails open — and /readyz says which dependency is missing; once Redis
is back, the rate limit counts again without restarting the portal."""

import os
import subprocess
from http import HTTPStatus

import pytest
from django.core.cache import cache

from readings.models import Reading
from tests.conftest import wait_for

pytestmark = [
    # It stops the shared service: bin/run-tests runs it alone, after the parallel tests.
    pytest.mark.exclusive_services,
    pytest.mark.skipif(
        not os.environ.get("REDIS_PORT"), reason="needs bin/with-services (REDIS_PORT)"
    ),
]


def _redis(*args):
    return subprocess.run(
        ["redis-cli", "-p", os.environ["REDIS_PORT"], *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )


def _redis_up() -> bool:
    return _redis("ping").stdout.strip() == "PONG"


def _start_redis():
    # The same flags bin/with-services starts it with.
    base = os.environ["SERVICES_DIR"]
    subprocess.run(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            os.environ["REDIS_PORT"],
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--dir",
            base,
            "--pidfile",
            os.path.join(base, "redis.pid"),
        ],
        check=True,
        capture_output=True,
        timeout=10,
    )
    wait_for(_redis_up, message="redis back up")


@pytest.fixture
def redis_down():
    """Stop Redis for the test; always start it again afterwards."""
    assert _redis_up()
    _redis("shutdown", "nosave")
    wait_for(lambda: not _redis_up(), message="redis stopped")
    yield
    if not _redis_up():
        _start_redis()


HEART_RATE = {
    "readingTimestamp": "2026-11-20T13:05:00Z",
    "deviceId": 80011,
    "deviceTimeZoneOffset": -18000,
    "manual": False,
    "heartRate": 72,
}


def test_pages_and_the_api_keep_serving_while_redis_is_down_and_recover_after(
    nurse_client,
    api,
    patient,
    cuff,
    client,
    redis_down,
):
    # Down: pages, API reads and a reading post are all served; readiness names Redis.
    assert nurse_client.get("/patients/").status_code == HTTPStatus.OK
    assert nurse_client.get(f"/patients/{patient.pk}/").status_code == HTTPStatus.OK
    assert api.get("/api/v1/patients").status_code == HTTPStatus.OK
    posted = api.post("/api/v1/readings/heart-rate", HEART_RATE, format="json")
    assert posted.status_code == HTTPStatus.CREATED, posted.content
    assert Reading.objects.filter(patient=patient).count() == 1
    ready = client.get("/readyz")
    assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json()["failed"] == ["redis"]

    # Back up, in the same process: readiness is green and the rate limit counts again.
    _start_redis()
    assert client.get("/readyz").status_code == HTTPStatus.OK
    assert api.get("/api/v1/patients").status_code == HTTPStatus.OK
    assert any(key.startswith("throttle_client_") for key in _throttle_keys())
    again = api.post("/api/v1/readings/heart-rate", HEART_RATE, format="json")
    assert again.status_code == HTTPStatus.OK  # the same reading: acknowledged, not doubled
    assert Reading.objects.filter(patient=patient).count() == 1


def _throttle_keys():
    client = cache._cache.get_client()
    return [k.decode().split(":", 2)[-1] for k in client.keys("*throttle_client_*")]
