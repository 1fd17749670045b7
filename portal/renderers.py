"""The API's JSON renderer: DRF's JSONRenderer, written by orjson (issue 19: rendering with
`json` and DRF's encoder was a visible share of every API answer).

The bytes mean the same JSON as DRF's: compact, UTF-8, U+2028/U+2029 escaped. Dates, times and
anything else orjson does not write itself go through DRF's own encoder (its `Z` for UTC, its
millisecond precision); what orjson cannot write at all (an integer beyond 64 bits, say) and an
`indent=` request are rendered by DRF's renderer as before. The one difference: a float that is
not a number is written as `null`, where DRF's strict mode fails the whole answer."""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_encoder = JSONEncoder()
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        if accepted_media_type and "indent" in accepted_media_type:
            return super().render(data, accepted_media_type, renderer_context)
        if renderer_context and renderer_context.get("indent") is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, default=_encoder.default, option=OPTIONS)
        except (TypeError, orjson.JSONEncodeError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
