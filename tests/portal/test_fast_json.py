"""orjson reads and writes the API's JSON (portal.parsers, portal.renderers); what a body means,
what is refused and with which message, and what an answer says stay `json`'s and DRF's."""

import datetime as dt
import decimal
import json
import uuid

import pytest
from rest_framework.renderers import JSONRenderer as DrfJSONRenderer

from portal.parsers import JsonTooDeep, _json_loads, json_loads
from portal.renderers import JSONRenderer

pytestmark = pytest.mark.both_databases

BODIES = [
    b'{"patientId": 18446744073709551616}',  # beyond 64 bits: orjson would give a float
    b"[-9223372036854775809, 12345678901234567890123]",
    b'"\\ud800"',  # a lone surrogate escape, which json takes and orjson refuses
    b"1e400",
    b'{"a": 1, "a": 2}',
    b'{"heartRate": 72.0, "t": "2026-11-20T13:05:00Z", "x": [true, null, -0.0, 1e-7]}',
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_means_what_json_says(body):
    fast, plain = json_loads(body), _json_loads(body)
    assert repr(fast) == repr(plain)
    assert type(fast) is type(plain)


@pytest.mark.parametrize("body", [b"NaN", b'{"a": Infinity}', b"[1,]", "\ufeff{}", b'"\x01"', b""])
def test_a_refusal_is_jsons_with_its_message(body):
    with pytest.raises(ValueError, match=r".") as fast:
        json_loads(body)
    with pytest.raises(ValueError, match=r".") as plain:
        _json_loads(body)
    assert str(fast.value) == str(plain.value)


def test_nesting_deeper_than_the_limit_is_refused():
    with pytest.raises(JsonTooDeep):
        json_loads(b"[" * 40 + b"]" * 40)


ANSWERS = [
    {"at": dt.datetime(2026, 11, 20, 13, 5, 0, 123456, tzinfo=dt.UTC), "day": dt.date(2026, 1, 2)},
    {"n": decimal.Decimal("1.50"), "u": uuid.UUID(int=5), "t": dt.time(4, 5, 6)},
    {"text": "line\u2028separator\u2029é", "nested": [{"ok": True, "none": None}]},
    {"big": 2**70, "int_key": {1: "a"}},
    [1, 2.5, "x"],
]


@pytest.mark.parametrize("data", ANSWERS)
def test_an_answer_says_what_drfs_renderer_says(data):
    fast = JSONRenderer().render(data, "application/json")
    plain = DrfJSONRenderer().render(data, "application/json")
    assert json.loads(fast) == json.loads(plain)
    assert (b"\\u2028" in fast) == (b"\\u2028" in plain)
    assert b"\xe2\x80\xa8" not in fast


def test_indent_is_drfs():
    data = {"a": [1, 2]}
    assert JSONRenderer().render(data, "application/json; indent=2") == DrfJSONRenderer().render(
        data, "application/json; indent=2"
    )
