"""The API rate limit: a fixed-window counter per API key (one Redis INCR per request), so its
cost does not grow with the caller's rate, and a refused request says when to come back."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from rest_framework.settings import api_settings

from portal.api_auth import ClientRateThrottle


@pytest.fixture
def three_a_minute(monkeypatch):
    clock = {"now": 1_800_000_000.0}  # a window boundary (divisible by 60)
    monkeypatch.setattr(ClientRateThrottle, "timer", lambda self: clock["now"])
    monkeypatch.setattr(
        ClientRateThrottle,
        "THROTTLE_RATES",
        {**api_settings.DEFAULT_THROTTLE_RATES, "client": "3/min"},
    )
    cache.clear()
    yield clock
    cache.clear()


def test_the_budget_is_counted_per_window_and_refills(api, three_a_minute):
    statuses = [api.get("/api/v1/patients").status_code for _ in range(4)]
    assert statuses == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    three_a_minute["now"] += 45
    refused = api.get("/api/v1/patients")
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "15"  # the rest of the window
    three_a_minute["now"] += 15  # the next window
    assert api.get("/api/v1/patients").status_code == HTTPStatus.OK


def test_the_state_is_one_counter_not_a_list_of_request_times(api, outsider_api, three_a_minute):
    for _ in range(3):
        api.get("/api/v1/patients")
    outsider_api.get("/api/v1/patients")
    client = cache._cache.get_client()
    keys = sorted(k.decode().split(":", 2)[-1] for k in client.keys("*throttle_client_*"))
    assert len(keys) == 2  # one per API key
    counts = sorted(int(cache.get(k)) for k in keys)
    assert counts == [1, 3]


def test_another_key_has_its_own_budget(api, outsider_api, three_a_minute):
    for _ in range(3):
        api.get("/api/v1/patients")
    assert api.get("/api/v1/patients").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert outsider_api.get("/api/v1/patients").status_code == HTTPStatus.OK
