"""Two concurrent posts of the same record store one (ON CONFLICT DO NOTHING on the unique
source key, not a check-then-insert race), on PostgreSQL and on the demo's SQLite."""

import threading
from http import HTTPStatus

import pytest
from django.db import connection
from rest_framework.test import APIClient

from readings.models import Reading
from tests.readings.test_ingest_measurements import SAMPLE

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/measurements", SAMPLE),
        (
            "/api/v1/readings/heart-rate",
            {"readingTimestamp": "2026-11-20T13:05:00Z", "deviceId": 80011, "heartRate": 72},
        ),
    ],
)
def test_concurrent_posts_of_one_record_store_it_once(org_key, oximeter, url, body):
    barrier = threading.Barrier(6)
    statuses = []

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {org_key[1]}")
        barrier.wait()
        try:
            statuses.append(client.post(url, body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses).count(HTTPStatus.CREATED) == 1
    assert set(statuses) <= {HTTPStatus.CREATED, HTTPStatus.OK}
    expected = len(body.get("metrics", [None]))
    assert Reading.objects.count() == expected
