"""Figure 6b — from a critical reading stored to the on-call clinician's email accepted by an
SMTP server, under figure 6's mixed load. Goal: p95 ≤ 1 s, and exactly one email per critical
reading (none lost, none doubled).

Run inside figure 6 (tests.bench.load_mixed), against the same gunicorn, while its two load
processes post heart rates and read the roster:
- an organization of its own ("bench-alerts") whose alert protocol puts one nurse on call all
  week, with the default thresholds (a heart rate of 120 or more is critical);
- a third load process posts one critical heart rate every CRITICAL_EVERY seconds, each for a
  patient with no open alert (alerts fold per patient and rule: a second critical reading of the
  same patient would fold into the first alert and email nobody), so each opens a fresh alert;
- a real Celery worker process (prefork) on the bench's Redis broker, subscribed to the queue
  the notification tasks are routed to (portal.settings CELERY_TASK_ROUTES), sending through
  Django's SMTP backend to an aiosmtpd server on 127.0.0.1 in this process, which stamps each
  message when it accepts it.

Latency of one critical reading: the SMTP server's accept time minus the reading's `created_at`
(stamped in the request, before its commit — so the time the request thread spends after the
commit counts too). Same machine, same clock."""

from __future__ import annotations

import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CRITICAL_EVERY = 0.2  # seconds between critical readings
GOAL_P95 = 1.0  # seconds
WORKER_POOL = os.environ.get("BENCH_NOTIFY_POOL", "prefork")
WORKER_CONCURRENCY = int(os.environ.get("BENCH_NOTIFY_CONCURRENCY", "2"))
ROOT = Path(__file__).resolve().parents[2]
ON_CALL_EMAIL = "on-call@bench.example"
MESSAGE_ID = re.compile(r"<notification-(\d+)@")


# --- the SMTP server: stamps each message when it accepts it --------------------------------
@dataclass
class _Handler:
    accepted: list[tuple[float, str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        at = time.time()
        head = envelope.content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
        found = MESSAGE_ID.search(head)
        with self.lock:
            self.accepted.append((at, found.group(1) if found else "", list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self):
        import socket

        from aiosmtpd.controller import Controller

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.handler = _Handler()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.accepted)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


def notification_queue() -> str:
    """The queue the notification email task is routed to (portal.settings)."""
    from portal.celery import app

    route = app.amqp.router.route({}, "readings.care.tasks.notification_email_send")
    return route["queue"].name


# --- the worker -----------------------------------------------------------------------------
class Worker:
    """`celery -A portal worker` on the notifications queue, as production runs it."""

    def __init__(self, smtp_url: str):
        self.smtp_url = smtp_url
        self.queue = notification_queue()
        self.log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def __enter__(self):
        env = {
            **os.environ,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_URL": self.smtp_url,
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "celery", "-A", "portal", "worker"]
        command += [
            f"--pool={WORKER_POOL}",
            f"--concurrency={WORKER_CONCURRENCY}",
            "-Q",
            self.queue,
            "--loglevel=INFO",
        ]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        while "ready." not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the Celery worker did not start:\n" + self.log.read_text())
            time.sleep(0.1)  # the harness's start-up poll, not a measurement
        return self

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


# --- the organization -----------------------------------------------------------------------
def alerts_cast(seconds: int):
    """An organization with one patient per critical reading to send (and some spare), the
    default thresholds, and a protocol with one nurse (with an email address) on call all week."""
    import datetime as dt

    from portal.models import Role
    from readings.care import protocol as rules
    from readings.care.protocol_models import ALL_DAYS, EmailDetail
    from readings.thresholds import threshold_defaults_ensure
    from tests import factories
    from tests.bench.common import cast_create

    cast = cast_create(patients=int(seconds / CRITICAL_EVERY) + 50, slug="bench-alerts")
    threshold_defaults_ensure(organization=cast.organization)
    admin = factories.staff(cast.organization, Role.ORG_ADMIN, username="bench-alerts-admin")
    nurse = factories.staff(
        cast.organization, Role.NURSE, username="bench-on-call", email=ON_CALL_EMAIL
    )
    rules.protocol_save(
        organization=cast.organization,
        by=admin,
        critical_limit=dt.timedelta(minutes=15),
        warning_limit=dt.timedelta(hours=4),
        slots=[rules.SlotInput(weekdays=ALL_DAYS, start_hour=0, end_hour=24, clinician=nurse)],
        path=[nurse],
        reason="Bench: one nurse on call all week",
        email_detail=EmailDetail.LINK,
    )
    return cast


# --- the critical stream (a load process, no Django) -----------------------------------------
def critical_stream(port, seconds, patients, key) -> dict:
    """One critical heart rate every CRITICAL_EVERY s, patient k for the k-th, each on its own
    connection and thread (the pace holds however slow an answer is); returns each reading's
    answer (status, the reading's id) and how long its POST took."""
    import http.client
    import json
    from datetime import UTC, datetime

    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    sent, errors, lock = [], [], threading.Lock()

    def post(k: int) -> None:
        stamp = datetime.now(tz=UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        body = json.dumps(
            {
                "patientId": patients[k],
                "heartRate": 130 + k % 40,
                "readingTimestamp": stamp,
                "deviceTimeZoneOffset": -18000,
            }
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t0 = time.time()
        try:
            connection.request("POST", "/api/v1/readings/heart-rate", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        except OSError as exc:
            with lock:
                errors.append(type(exc).__name__)
            return
        finally:
            connection.close()
        took = time.time() - t0
        reading = json.loads(answer).get("id") if response.status == 201 else None
        with lock:
            sent.append({"status": response.status, "reading": reading, "post": took})

    threads = []
    start = time.monotonic()
    for k in range(min(len(patients), int(seconds / CRITICAL_EVERY))):
        pause = start + k * CRITICAL_EVERY - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # the stream's pace, not a wait for a result
        threads.append(threading.Thread(target=post, args=(k,), daemon=True))
        threads[-1].start()
    for thread in threads:
        thread.join(timeout=60)
    return {"sent": sent, "errors": errors}


# --- the figure ----------------------------------------------------------------------------
def measure(figure, cast, sink: SmtpSink, posted: dict, wait: float = 20.0) -> None:
    """Wait (at most `wait` s) for one email per critical reading, then fill figure 6b."""
    from readings.care.notifications_models import Channel, Notification
    from readings.models import AlertReading, Reading

    sent = posted["sent"]
    created = [s["reading"] for s in sent if s["status"] == 201 and s["reading"]]
    deadline = time.monotonic() + wait
    while sink.count() < len(created) and time.monotonic() < deadline:
        time.sleep(0.1)  # draining: emails still on their way
    time.sleep(0.5)  # a doubled email would arrive right behind the last one
    with sink.handler.lock:
        accepted = list(sink.handler.accepted)

    stored = dict(Reading.objects.filter(pk__in=created).values_list("pk", "created_at"))
    alert_of = dict(
        AlertReading.objects.filter(reading_id__in=created).values_list("reading_id", "alert_id")
    )
    reading_of_alert = {a: r for r, a in alert_of.items()}
    rows, stamps = {}, {}
    for pk, alert, created_at, claimed_at in Notification.objects.filter(
        alert_id__in=list(alert_of.values()), channel=Channel.EMAIL
    ).values_list("pk", "alert_id", "created_at", "updated_at"):
        rows[pk] = alert
        stamps[pk] = (created_at.timestamp(), claimed_at.timestamp())
    latencies, per_reading, strays = [], {}, 0
    stages: dict[str, list[float]] = {"row": [], "claim": [], "send": []}
    for at, notification, recipients in accepted:
        alert = rows.get(int(notification)) if notification else None
        reading = reading_of_alert.get(alert)
        if reading is None or recipients != [ON_CALL_EMAIL]:
            strays += 1
            continue
        per_reading[reading] = per_reading.get(reading, 0) + 1
        start = stored[reading].timestamp()
        latencies.append(at - start)
        row_at, claimed_at = stamps[int(notification)]
        stages["row"].append(row_at - start)
        stages["claim"].append(claimed_at - row_at)
        stages["send"].append(at - claimed_at)
    lost = [r for r in created if r not in per_reading]
    doubled = [r for r, n in per_reading.items() if n > 1]
    posts = sorted(s["post"] for s in sent)
    failures = [s["status"] for s in sent if s["status"] != 201] + posted["errors"]

    if latencies:
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = _p95(latencies)
        figure.measured = (
            f"{len(created)} critical readings (one every {CRITICAL_EVERY * 1000:.0f} ms, "
            f"each a new alert) -> {len(accepted)} emails accepted; reading stored -> email "
            f"accepted: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max "
            f"{latencies[-1] * 1000:.0f} ms (Celery worker {WORKER_POOL} x{WORKER_CONCURRENCY} on "
            f"queue '{notification_queue()}', Redis broker, aiosmtpd on 127.0.0.1)"
        )
    else:
        p95 = float("inf")
        figure.measured = f"{len(created)} critical readings, no email matched"
    figure.check(
        "s p95 critical reading stored -> email accepted",
        p95,
        f"<= {GOAL_P95:.2f} s",
        p95 <= GOAL_P95,
    )
    exact = not lost and not doubled and not strays and not failures and bool(created)
    figure.check(
        "emails / critical readings",
        len(per_reading) / max(1, len(created)) if not doubled else len(accepted) / len(created),
        "= 1.00, none lost, none doubled",
        exact,
    )
    if posts:
        figure.notes.append(
            f"the critical POSTs answered in p50 {statistics.median(posts) * 1000:.0f} ms, "
            f"max {posts[-1] * 1000:.0f} ms"
        )
    if latencies:
        figure.notes.append(
            "where the time goes (p50 / p95): reading stored -> notification row written "
            f"{_p(stages['row'])}; row -> claimed by the worker {_p(stages['claim'])}; "
            f"claimed -> accepted by SMTP {_p(stages['send'])}"
        )
    if not exact:
        figure.notes.append(
            f"lost {len(lost)}, doubled {len(doubled)}, stray emails {strays}, "
            f"failed posts {failures or 'none'}"
        )


def _p95(values: list[float]) -> float:
    """The nearest-rank 95th percentile: no more than 5 % of the values are above it."""
    values = sorted(values)
    return values[math.ceil(0.95 * len(values)) - 1]


def _p(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} / {_p95(values) * 1000:.0f} ms"
