"""The one JSON reader for bodies that arrive from outside: DRF's parser (every API endpoint)
and the Solo webhook receiver use it, so a hostile body is refused the same way everywhere.

Python's `json` recurses once per nesting level: `[` × 1,000 raises RecursionError (a 500),
and a body a little shallower parses but can still exhaust the stack further on (serializers,
hashing, JSONField). No vendor shape nests deeper than a handful of levels, so anything deeper
than MAX_JSON_DEPTH is refused as malformed before any of that runs."""

import json
import re

import orjson
from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Vendor shapes nest at most ~6 levels (a Validic record → metrics → metric); 32 is generous.
MAX_JSON_DEPTH = 32


class JsonTooDeep(ValueError):
    """The text is JSON nested deeper than MAX_JSON_DEPTH (or too deep for Python to read)."""


def json_loads(text: str | bytes):
    """`json.loads`, refusing NaN/Infinity and nesting deeper than MAX_JSON_DEPTH.
    Raises ValueError (JsonTooDeep for nesting) for anything that is not acceptable JSON.

    orjson reads it first (several times faster: issue 19); whatever orjson refuses (invalid
    JSON, but also integers beyond 64 bits or escaped lone surrogates, which `json` takes) is
    read again by `json`, so what is accepted, what it means, and each refusal's message stay
    `json`'s own."""
    value = _fast_loads(text)
    if value is _REFUSED:
        value = _json_loads(text)
    if _depth_exceeds(value, MAX_JSON_DEPTH):
        raise JsonTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    return value


_REFUSED = object()
# orjson reads an integer beyond 64 bits as a float (json keeps it an int, which the contracts'
# range checks then refuse by name): any run of 19 digits takes json's path instead.
_LONG_DIGITS = re.compile(r"\d{19}", re.ASCII)
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def _fast_loads(text: str | bytes):
    """orjson's reading of `text`, or _REFUSED where it may differ from `json`'s."""
    digits = _LONG_DIGITS_BYTES if isinstance(text, bytes) else _LONG_DIGITS
    if digits.search(text):
        return _REFUSED
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, RecursionError):
        return _REFUSED


def _json_loads(text: str | bytes):
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise JsonTooDeep(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from exc
    return value


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON.")


def _depth_exceeds(value, limit: int) -> bool:
    """Iterative (a recursive walk would hit the very limit this guards against)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def json_has_nul(value) -> bool:
    """Whether any key or string in a parsed JSON value holds a NUL character (PostgreSQL
    stores none in text or jsonb columns)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if "\x00" in node:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser over `json_loads`: too deep or invalid → ParseError (400
    `malformed_request` through portal.api_helpers.exception_handler)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        if encoding.lower().replace("-", "") == "utf8":
            # orjson reads the bytes (UTF-8 is JSON's own encoding); anything it refuses takes
            # the path below, which says why.
            value = _fast_loads(raw)
            if value is not _REFUSED and not _depth_exceeds(value, MAX_JSON_DEPTH):
                return value
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not {encoding} text.") from exc
        try:
            return json_loads(text)
        except ValueError as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
