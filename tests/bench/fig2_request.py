"""Figure 2 — single ingestion request: requests per second for `POST
/api/v1/readings/heart-rate` with an API key under gunicorn, versus a bare Django view returning
a fixed JSON (`/bench/bare`, bench URLconf only) in the same gunicorn configuration.
Goal: ≥ 0.5 of the bare view.

Load comes from `wrk` (apt-installed by the harness when missing) with a Lua script that sends a
new reading each request, or from a bounded keep-alive Python client when wrk is not there.
Everything binds 127.0.0.1; every run is bounded in time."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.bench.common import Cast, Figure

GOAL = 0.5
SECONDS = int(os.environ.get("BENCH_HTTP_SECONDS", "8"))
ROUNDS = 2
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))  # one per core
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
HEART_RATE = "/api/v1/readings/heart-rate"
BARE = "/bench/bare"
AUTHENTICATED = "/bench/authenticated"  # DRF + key look-up + rate limit, fixed answer

# Each request is a new reading (a replay would be the cheaper "already stored" path): the
# timestamp walks back one second per request, offset per wrk thread.
LUA = """
-- tid is set per thread by setup() (a global in the thread's own Lua state).
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  base = tonumber(args[1])
  patients = {}
  for id in string.gmatch(args[2], "[^,]+") do patients[#patients + 1] = id end
  auth = args[3]
end
function request()
  counter = counter + 1
  local n = counter * 64 + (tid or 0)
  local body = string.format(
    '{"patientId": %s, "heartRate": %d, "readingTimestamp": "%s", "deviceTimeZoneOffset": -18000}',
    patients[(n % #patients) + 1], 55 + n % 60, os.date("!%Y-%m-%dT%H:%M:%SZ", base - n))
  return wrk.format("POST", wrk.path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. auth,
  }, body)
end
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrk_binary() -> str | None:
    found = shutil.which("wrk")
    if found or os.environ.get("BENCH_NO_APT") or os.geteuid() != 0:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, check=False, capture_output=True, env=env).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, env=env)
        subprocess.run(install, check=False, capture_output=True, env=env)
    return shutil.which("wrk")


class Gunicorn:
    """gunicorn serving the bench settings on 127.0.0.1: the same config for both targets."""

    def __init__(self):
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [
                str(gunicorn),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "gthread",
                "--threads",
                str(THREADS),
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            # Production-like: tasks go to the Redis broker (no worker drains it during the
            # run), they are not run inside the request.
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
                "CELERY_TASK_ALWAYS_EAGER": "0",
            },
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = request("GET", self.port, BARE)
                if status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited while starting")
            time.sleep(0.2)  # the harness's own start-up poll, not a test
        raise RuntimeError("gunicorn did not answer within 30 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def request(method, port, path, body=None, headers=None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_wrk(binary, port, path, lua_file, args) -> tuple[float, int, int]:
    """(requests/s, requests, non-2xx responses)."""
    out = subprocess.run(
        [
            binary,
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--timeout",
            "10s",
            "-s",
            lua_file,
            f"http://127.0.0.1:{port}{path}",
            "--",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    if errors:
        raise RuntimeError(f"wrk: {errors.group(0)}")
    return rps, total, int(bad.group(1)) if bad else 0


def run_python_client(port, path, make_body, headers) -> tuple[float, int, int]:
    """The fallback load generator: CONNECTIONS keep-alive connections for SECONDS."""
    counts = [0] * CONNECTIONS
    bad = [0] * CONNECTIONS
    stop = time.monotonic() + SECONDS

    def loop(slot):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = slot
        while time.monotonic() < stop:
            n += CONNECTIONS
            connection.request("POST", path, body=make_body(n), headers=headers)
            response = connection.getresponse()
            response.read()
            counts[slot] += 1
            if response.status >= 300:
                bad[slot] += 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 30)
    return sum(counts) / (time.monotonic() - started), sum(counts), sum(bad)


_rounds = iter(range(1, 1000))


def load(port, path, cast: Cast, binary) -> tuple[float, int, int]:
    # Each load run walks back from its own point in time, so no two runs send one reading.
    base = int(datetime.now(tz=UTC).timestamp()) - 60 - next(_rounds) * 20_000_000
    patients = [str(p.impilo_patient_id) for p in cast.patients[:200]]
    if binary:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA)
        try:
            return run_wrk(
                binary, port, path, script.name, [str(base), ",".join(patients), cast.api_key_raw]
            )
        finally:
            os.unlink(script.name)

    def make_body(n):
        stamp = datetime.fromtimestamp(base - n, tz=UTC).isoformat().replace("+00:00", "Z")
        return json.dumps(
            {
                "patientId": int(patients[n % len(patients)]),
                "heartRate": 55 + n % 60,
                "readingTimestamp": stamp,
                "deviceTimeZoneOffset": -18000,
            }
        )

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {cast.api_key_raw}"}
    return run_python_client(port, path, make_body, headers)


def run(cast: Cast) -> Figure:
    from django.db import connection

    from readings.models import Reading

    figure = Figure(2, "Single ingestion request (POST heart-rate vs bare view, gunicorn)")
    binary = wrk_binary()
    connection.close()  # gunicorn's workers open their own
    with Gunicorn() as server:
        # One real request first: the contract answer, not an error page, is what is measured.
        stamp = datetime.now(tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        status, body = request(
            "POST",
            server.port,
            HEART_RATE,
            body=json.dumps(
                {
                    "patientId": cast.patients[0].impilo_patient_id,
                    "heartRate": 72,
                    "readingTimestamp": stamp,
                }
            ),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {cast.api_key_raw}",
            },
        )
        if status != 201:
            raise RuntimeError(f"heart-rate answered {status}: {body[:300]!r}")
        before = Reading.objects.count()
        bare, real, framework = [], [], []
        stored = 0
        for _ in range(ROUNDS):
            rps, _total, bad = load(server.port, BARE, cast, binary)
            if bad:
                raise RuntimeError(f"bare view: {bad} non-2xx answers")
            bare.append(rps)
            rps, _total, bad = load(server.port, AUTHENTICATED, cast, binary)
            if bad:
                raise RuntimeError(f"authenticated view: {bad} non-2xx answers")
            framework.append(rps)
            rps, total, bad = load(server.port, HEART_RATE, cast, binary)
            if bad:
                raise RuntimeError(f"heart-rate: {bad} non-2xx answers of {total}")
            real.append(rps)
            stored += total
    created = Reading.objects.count() - before
    bare_rps, real_rps = sum(bare) / len(bare), sum(real) / len(real)
    ratio = real_rps / bare_rps
    figure.measured = (
        f"heart-rate {real_rps:,.0f} req/s vs bare {bare_rps:,.0f} req/s "
        f"(gunicorn {WORKERS} workers x {THREADS} threads, {CONNECTIONS} connections, "
        f"{ROUNDS} x {SECONDS} s each, {'wrk' if binary else 'python client'})"
    )
    figure.check("of bare view", ratio, f">= {GOAL}", ratio >= GOAL)
    framework_rps = sum(framework) / len(framework)
    figure.notes.append(
        f"{created:,} new readings stored; the load tool counted {stored:,} completed requests"
    )
    figure.notes.append(
        f"the API's floor, a DRF view with Bearer-key authentication and the rate limit that "
        f"answers a fixed JSON: {framework_rps:,.0f} req/s = {framework_rps / bare_rps:.2f} of "
        f"bare; heart-rate = {real_rps / framework_rps:.2f} of that floor"
    )
    return figure
