"""python -m tests.bench.profile [heart-rate|webhook|bulk] — where a figure's time goes.

Runs the figure's work in-process under pyinstrument (pip-installed into the virtualenv on
first use: a bench-only tool, not a project dependency) and prints the call tree. Run inside
bin/with-services, like the bench:  bin/with-services .venv/bin/python -m tests.bench.profile
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from datetime import UTC, datetime

REQUESTS = 200


def _pyinstrument():
    if importlib.util.find_spec("pyinstrument") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "pyinstrument"], check=True)
    from pyinstrument import Profiler

    return Profiler(interval=0.001)


def heart_rate(cast, client):
    base = int(datetime.now(tz=UTC).timestamp()) - 60

    def one(n):
        stamp = datetime.fromtimestamp(base - n, tz=UTC).isoformat().replace("+00:00", "Z")
        body = {
            "patientId": cast.patients[n % len(cast.patients)].impilo_patient_id,
            "heartRate": 60 + n % 50,
            "readingTimestamp": stamp,
        }
        response = client.post(
            "/api/v1/readings/heart-rate",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {cast.api_key_raw}",
        )
        assert response.status_code == 201, response.content

    return one


def webhook(cast, client):
    from appointments.crypto import solo_encrypt_json
    from appointments.models import WebhookSubscription

    subscription = WebhookSubscription.objects.create(
        organization=cast.organization,
        endpoint="https://127.0.0.1/webhooks/solo/bench",
        secrets={"encryption_key": "bench webhook key"},
    )
    path = f"/webhooks/solo/{subscription.receiver_id}"
    # The receiver's hint thread sets up the Celery producer on its first send (~0.25 s of
    # CPU, once per process): done here, before the profiled requests.
    from appointments import tasks
    from portal.celery import task_send

    task_send(tasks.solo_webhook_deliveries_take)

    def one(n):
        event = {"event": "appointment:updated", "data": {"appointmentId": 8_000_000 + n}}
        body = solo_encrypt_json(subscription.encryption_key, event)
        response = client.post(path, data=body, content_type="text/plain")
        assert response.status_code == 202, response.content

    return one


def bulk(cast, client):
    """Figure 1's path: the Validic pull, page by page, into validic_records_bulk_ingest."""
    from tests.bench.fig1_ingest import later_versions, pull, validic_records

    records = validic_records(cast, 20_000)
    stream = records + later_versions(records)[0]

    def one(n):
        if n == 0:
            pull(cast, stream)

    return one


def main(argv: list[str]) -> int:
    from tests.bench.__main__ import _environment, _fresh_database

    _environment()
    _fresh_database()
    import os

    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # as under gunicorn: tasks go to the broker
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from tests.bench import common

    call_command("migrate", verbosity=0)
    cast = common.cast_create(patients=200)
    client = Client(HTTP_HOST="127.0.0.1")
    which = argv[0] if argv else "heart-rate"
    one = {"heart-rate": heart_rate, "webhook": webhook, "bulk": bulk}[which](cast, client)
    count = 1 if which == "bulk" else REQUESTS
    for n in range(10 if count > 1 else 0):  # warm-up
        one(100_000 + n)
    profiler = _pyinstrument()
    started, cpu = time.perf_counter(), time.process_time()
    profiler.start()
    for n in range(count):
        one(n)
    profiler.stop()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{which}: {count} runs, {wall / count * 1000:.1f} ms each "
        f"({cpu / count * 1000:.1f} ms CPU)"
    )
    print(profiler.output_text(unicode=False, color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
