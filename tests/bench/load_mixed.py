"""Figure 6 — mixed load: heart-rate readings posted through `POST /api/v1/readings/heart-rate`
and the care team's roster page read with a signed-in session, at the same time, against
gunicorn, for BENCH_MIXED_SECONDS (10 s). Goal: no non-2xx answer and no socket error on either
side, and exactly one stored row per distinct reading sent — none lost, none doubled (every
REPEAT_EVERY-th request re-sends the previous reading, which must be answered 200 and stored
nothing).

The load comes from two separate processes on 127.0.0.1 (this module run as a script, with no
Django loaded), so the counts are exact: each process reports every request it made and every
answer it got."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "10"))
INGEST_CONNECTIONS = 6
ROSTER_CONNECTIONS = 2  # with gunicorn's 2 workers x 4 threads: every connection is served
REPEAT_EVERY = 5
HEART_RATE = "/api/v1/readings/heart-rate"
ROOT = Path(__file__).resolve().parents[2]


# --- the load processes (no Django here) -----------------------------------------------------
def _stamp(base: int, n: int) -> str:
    return datetime.fromtimestamp(base - n, tz=UTC).isoformat().replace("+00:00", "Z")


def _ingest(port, seconds, base, patients, key) -> dict:
    """INGEST_CONNECTIONS keep-alive connections; reading n is patient n % len at base - n s,
    so every n is a distinct reading. Returns the counts and the distinct n answered."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    stop = time.monotonic() + seconds
    statuses, errors, answered, lock = Counter(), [], set(), threading.Lock()

    def loop(slot):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i, n = 0, None
        while time.monotonic() < stop:
            i += 1
            if n is None or i % REPEAT_EVERY:  # a new reading; else the previous one again
                n = i * INGEST_CONNECTIONS + slot
            body = json.dumps(
                {
                    "patientId": patients[n % len(patients)],
                    "heartRate": 55 + n % 60,
                    "readingTimestamp": _stamp(base, n),
                    "deviceTimeZoneOffset": -18000,
                }
            )
            try:
                connection.request("POST", HEART_RATE, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError as exc:
                with lock:
                    errors.append(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            with lock:
                statuses[response.status] += 1
                answered.add(n)
        connection.close()

    started = time.monotonic()
    _run_threads(loop, INGEST_CONNECTIONS, seconds)
    return {
        "seconds": time.monotonic() - started,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": errors,
        "distinct": sorted(answered),
    }


def _roster(port, seconds, path, cookie) -> dict:
    headers = {"Cookie": cookie}
    stop = time.monotonic() + seconds
    statuses, errors, lock = Counter(), [], threading.Lock()

    def loop(_slot):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                page = response.read()
            except OSError as exc:
                with lock:
                    errors.append(type(exc).__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            # A 200 that is the sign-in page would not be the roster.
            ok = response.status == 200 and b'name="password"' not in page
            with lock:
                statuses[response.status if ok else f"{response.status}-not-roster"] += 1
        connection.close()

    started = time.monotonic()
    _run_threads(loop, ROSTER_CONNECTIONS, seconds)
    return {
        "seconds": time.monotonic() - started,
        "statuses": {str(k): v for k, v in statuses.items()},
        "errors": errors,
    }


def _run_threads(loop, count, seconds):
    threads = [threading.Thread(target=loop, args=(slot,), daemon=True) for slot in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 45)


def _client_main(argv: list[str]) -> None:
    job = json.loads(argv[0])
    mode = job.pop("mode")
    if mode == "critical":
        from tests.bench.fig6_notify import critical_stream

        result = critical_stream(**job)
    else:
        result = _ingest(**job) if mode == "ingest" else _roster(**job)
    print(json.dumps(result))


# --- the figure (inside the bench harness, Django loaded) ------------------------------------
def _spawn(job: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bench.load_mixed", json.dumps(job)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def _collect(process: subprocess.Popen, what: str) -> dict:
    try:
        out, _ = process.communicate(timeout=SECONDS + 90)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"the {what} load process did not finish") from None
    if process.returncode != 0:
        raise RuntimeError(f"the {what} load process failed ({process.returncode})")
    return json.loads(out)


def _session_cookie(organization) -> str:
    from django.conf import settings
    from django.test import Client

    from portal.models import Role
    from tests import factories

    nurse = factories.staff(organization, Role.NURSE, username="bench-mixed-nurse")
    client = Client()
    client.force_login(nurse)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def run(cast) -> list:
    """Figure 6 and, measured in the same run, figure 6b (tests.bench.fig6_notify)."""
    from django.db import connection
    from django.urls import reverse

    from readings.models import Reading
    from tests.bench import fig6_notify
    from tests.bench.common import Figure
    from tests.bench.fig2_request import Gunicorn

    figure = Figure(6, "Mixed load (heart-rate posts and the roster page at once, gunicorn)")
    notify = Figure(
        "6b",  # type: ignore[arg-type]
        "Critical reading -> on-call clinician's email, under figure 6's load",
    )
    alerts = fig6_notify.alerts_cast(SECONDS)
    cookie = _session_cookie(cast.organization)
    # Its own stretch of time, walking back from a minute ago: no other figure writes here.
    base = int(datetime.now(tz=UTC).timestamp()) - 60
    window = Reading.objects.filter(
        organization=cast.organization,
        metric="heart_rate",
        measured_at__gt=datetime.fromtimestamp(base, tz=UTC) - timedelta(days=30),
        measured_at__lte=datetime.fromtimestamp(base, tz=UTC),
    )
    before = window.count()
    connection.close()  # gunicorn's workers open their own
    with (
        fig6_notify.SmtpSink() as sink,
        fig6_notify.Worker(sink.url),
        Gunicorn() as server,
    ):
        patients = [p.impilo_patient_id for p in cast.patients[:200]]
        ingest = _spawn(
            {
                "mode": "ingest",
                "port": server.port,
                "seconds": SECONDS,
                "base": base,
                "patients": patients,
                "key": cast.api_key_raw,
            }
        )
        roster = _spawn(
            {
                "mode": "roster",
                "port": server.port,
                "seconds": SECONDS,
                "path": reverse("care:roster"),
                "cookie": cookie,
            }
        )
        critical = _spawn(
            {
                "mode": "critical",
                "port": server.port,
                "seconds": SECONDS,
                "patients": [p.impilo_patient_id for p in alerts.patients],
                "key": alerts.api_key_raw,
            }
        )
        posted, pages = _collect(ingest, "ingestion"), _collect(roster, "roster")
        fig6_notify.measure(notify, alerts, sink, _collect(critical, "critical readings"))
    stored = window.count() - before

    distinct = len(posted["distinct"])
    if distinct and max(posted["distinct"]) >= 30 * 86400:
        raise RuntimeError("more readings than the counting window holds")
    post_total = sum(posted["statuses"].values())
    page_total = sum(pages["statuses"].values())
    created = posted["statuses"].get("201", 0)
    repeats = posted["statuses"].get("200", 0)
    good_pages = pages["statuses"].get("200", 0)
    errors = posted["errors"] + pages["errors"]
    answered_ok = created + repeats + good_pages
    all_ok = not errors and answered_ok == post_total + page_total and page_total > 0
    figure.measured = (
        f"{post_total / posted['seconds']:,.0f} heart-rate posts/s ({distinct:,} readings, "
        f"{repeats:,} repeats answered 200) and {page_total / pages['seconds']:,.1f} roster "
        f"pages/s at the same time for {SECONDS} s; {stored:,} rows stored "
        f"(gunicorn 2 workers x 4 threads; {INGEST_CONNECTIONS} + {ROSTER_CONNECTIONS} "
        "connections from 2 load processes)"
    )
    figure.check(
        "2xx answers / requests",
        answered_ok / max(1, post_total + page_total),
        "= 1.00, no socket errors",
        all_ok,
    )
    figure.check(
        "rows stored / distinct readings sent",
        stored / max(1, distinct),
        "= 1.00",
        stored == distinct == created and distinct > 0,
    )
    if not all_ok:
        figure.notes.append(
            f"answers: posts {posted['statuses']}, pages {pages['statuses']}; "
            f"socket errors: {Counter(errors) or 'none'}"
        )
    return [figure, notify]


if __name__ == "__main__":
    _client_main(sys.argv[1:])
