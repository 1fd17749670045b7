"""Figure 5 — webhook receive: Solo webhook deliveries (seed 003 "Webhooks": the encrypted event
string) acknowledged per second by `POST /webhooks/solo/<receiver_id>` (decrypt, validate, persist
the inbox row durably, answer 202; workers take rows from the inbox, so nothing is published per
delivery) versus the bare view in the same gunicorn configuration. Goal: ≥ 0.5.

Bodies are encrypted ahead of time (as Solo would send them), each a different appointment
event, so every request is a new delivery rather than the cheaper duplicate path."""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time

from tests.bench.common import Cast, Figure
from tests.bench.fig2_request import (
    BARE,
    ROUNDS,
    SECONDS,
    Gunicorn,
    request,
    run_wrk,
    wrk_binary,
)

GOAL = 0.5
BODIES = 40_000

LUA = """
local i = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  start = tonumber(args[2])
end
function request()
  local n = (start + (tid or 0) + i * 2) % #bodies + 1
  i = i + 1
  return wrk.format("POST", nil, {["Content-Type"] = "text/plain"}, bodies[n])
end
"""


def receiver_available() -> bool:
    return importlib.util.find_spec("appointments.webhooks") is not None


def run(cast: Cast) -> Figure:
    figure = Figure(5, "Webhook receive (Solo deliveries/s vs bare view)")
    if not receiver_available():
        figure.skipped = (
            "the Solo webhook receiver (appointments.webhooks) is not merged into this branch yet"
        )
        return figure
    from django.db import connection

    from appointments.crypto import solo_encrypt_json
    from appointments.models import WebhookDelivery, WebhookSubscription

    binary = wrk_binary()
    if binary is None:
        raise RuntimeError("figure 5 needs wrk (apt-get install wrk)")
    subscription = WebhookSubscription.objects.create(
        organization=cast.organization,
        endpoint="https://127.0.0.1/webhooks/solo/bench",
        events=["appointment:updated"],
        secrets={"encryption_key": "bench webhook key"},
    )
    path = f"/webhooks/solo/{subscription.receiver_id}"
    # Each round reads its own half of the file, each of wrk's 2 threads every other line:
    # no body is sent twice (unless a round sends more than BODIES / ROUNDS).
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as bodies:
        for n in range(BODIES):
            event = {"event": "appointment:updated", "data": {"appointmentId": 7_000_000 + n}}
            bodies.write(solo_encrypt_json(subscription.encryption_key, event) + "\n")
    warm_up = [  # ids of their own: the measured rounds never replay them
        solo_encrypt_json(
            subscription.encryption_key,
            {"event": "appointment:updated", "data": {"appointmentId": 6_000_000 + n}},
        )
        for n in range(40)
    ]
    plain = {"Content-Type": "text/plain"}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    connection.close()
    try:
        with Gunicorn() as server:
            with open(bodies.name) as handle:
                first = handle.readline().strip()
            status, body = request(
                "POST", server.port, path, body=first, headers={"Content-Type": "text/plain"}
            )
            if status != 202:
                raise RuntimeError(f"webhook answered {status}: {body[:200]!r}")
            # Each gunicorn process sets up its Celery producer once, on its first hint to the
            # workers (a background thread, ~0.25 s of CPU): not inside a measured round.
            for warm in warm_up:
                request("POST", server.port, path, body=warm, headers=plain)
            time.sleep(1.0)  # the harness's own wait for that set-up, not a test
            bare, real, total = [], [], 0
            for round_number in range(ROUNDS):
                start = str(1 + round_number * BODIES // ROUNDS)
                rps, _n, bad = run_wrk(binary, server.port, BARE, script.name, [bodies.name, "1"])
                if bad:
                    raise RuntimeError(f"bare view: {bad} non-2xx answers")
                bare.append(rps)
                rps, n, bad = run_wrk(binary, server.port, path, script.name, [bodies.name, start])
                if bad:
                    raise RuntimeError(f"webhook: {bad} non-2xx answers of {n}")
                real.append(rps)
                total += n
    finally:
        os.unlink(bodies.name)
        os.unlink(script.name)
    stored = WebhookDelivery.objects.filter(subscription=subscription).count()
    bare_rps, real_rps = sum(bare) / len(bare), sum(real) / len(real)
    ratio = real_rps / bare_rps
    figure.measured = (
        f"webhook {real_rps:,.0f} deliveries/s vs bare {bare_rps:,.0f} req/s "
        f"({ROUNDS} x {SECONDS} s each, wrk)"
    )
    figure.check("of bare view", ratio, f">= {GOAL}", ratio >= GOAL)
    figure.notes.append(
        f"{stored:,} inbox rows written for {total:,} completed requests (the rest duplicates)"
    )
    return figure
