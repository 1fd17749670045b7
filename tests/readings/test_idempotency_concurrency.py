"""One `Idempotency-Key` sent with 20 different bodies at once, by 20 real threads against a
live server: exactly one reading is stored and every other request gets 422
`idempotency_key_reused` (before, 16 were stored on SQLite and 11 on PostgreSQL). The same body
sent 20 times at once is stored once and every twin gets the first answer."""

import threading
from http import HTTPStatus

import pytest
import requests

from readings.models import IngestionReplay, Reading

URL = "/api/v1/readings/heart-rate"
THREADS = 20

pytestmark = [pytest.mark.both_databases, pytest.mark.django_db(transaction=True)]


def body(i: int) -> dict:
    return {
        "readingTimestamp": f"2026-11-20T13:{i:02d}:00Z",
        "deviceId": 80011,
        "heartRate": 60 + i,
    }


def post_all_at_once(live_server, raw_key, bodies):
    barrier = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)
    session_headers = {"Authorization": f"Bearer {raw_key}", "Idempotency-Key": "k-20-bodies"}

    def post(i):
        barrier.wait(timeout=30)
        response = requests.post(
            live_server.url + URL, json=bodies[i], headers=session_headers, timeout=60
        )
        answers[i] = (response.status_code, response.json(), response.headers)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(a is not None for a in answers), "a request did not finish"
    return answers


def test_one_key_with_twenty_bodies_in_parallel_stores_exactly_one(live_server, org_key, cuff):
    bodies = [body(i) for i in range(THREADS)]
    answers = post_all_at_once(live_server, org_key[1], bodies)
    statuses = sorted(status for status, _json, _headers in answers)
    assert statuses == [HTTPStatus.CREATED] + [HTTPStatus.UNPROCESSABLE_ENTITY] * (THREADS - 1)
    refused = [j for status, j, _h in answers if status == HTTPStatus.UNPROCESSABLE_ENTITY]
    assert {j["error"] for j in refused} == {"idempotency_key_reused"}
    [reading] = Reading.objects.all()
    [winner] = [i for i, (status, _j, _h) in enumerate(answers) if status == HTTPStatus.CREATED]
    assert reading.value == bodies[winner]["heartRate"]
    assert IngestionReplay.objects.count() == 1
    # The winner's body replayed later still gets the first answer.
    again = requests.post(
        live_server.url + URL,
        json=bodies[winner],
        headers={"Authorization": f"Bearer {org_key[1]}", "Idempotency-Key": "k-20-bodies"},
        timeout=30,
    )
    assert (again.status_code, again.json()) == (HTTPStatus.CREATED, answers[winner][1])
    assert again.headers["Idempotent-Replayed"] == "true"


def test_one_key_with_one_body_twenty_times_in_parallel_answers_the_first_answer(
    live_server, org_key, cuff
):
    answers = post_all_at_once(live_server, org_key[1], [body(7)] * THREADS)
    assert {status for status, _j, _h in answers} == {HTTPStatus.CREATED}
    first = answers[0][1]
    assert all(j == first for _s, j, _h in answers)  # one answer, replayed to every twin
    assert sum(h.get("Idempotent-Replayed") == "true" for _s, _j, h in answers) == THREADS - 1
    assert Reading.objects.count() == 1


def test_a_failed_request_does_not_hold_the_key(api, cuff):
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-retry"}
    bad = api.post(URL, {**body(1), "heartRate": 999}, format="json", **headers)
    assert bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert not IngestionReplay.objects.exists()
    good = api.post(URL, body(1), format="json", **headers)
    assert good.status_code == HTTPStatus.CREATED
    assert Reading.objects.count() == 1
