"""Helpers for writing a vendor's sandbox endpoints: JSON in/out, auth, fault injection."""

from __future__ import annotations

import json
import time
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from portal.sandbox.state import FAULTS, STORE, FaultMode

# A "timeout" fault holds the answer this long; clients in tests wait VENDOR_READ_TIMEOUT (2 s).
TIMEOUT_HOLD_SECONDS = 6.0


def sandbox_view(vendor: str, *, methods: tuple[str, ...], error_body=None):
    """Wrap a sandbox view: CSRF-exempt, method check, seeded store, then injected faults.

    `error_body(status, message)` builds the vendor's error JSON (each vendor has its own)."""

    def make_error(status: int, message: str):
        body = error_body(status, message) if error_body else {"message": message}
        return JsonResponse(body, status=status, safe=False)

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            STORE.ensure_seeded()
            fault = FAULTS.take(vendor, request.path)
            if fault is not None:
                if fault.mode == FaultMode.ERROR:
                    return make_error(500, "Internal server error (injected by the sandbox)")
                if fault.mode == FaultMode.UNAVAILABLE:
                    response = make_error(503, "Service unavailable (injected by the sandbox)")
                    response["Retry-After"] = "0"
                    return response
                if fault.mode == FaultMode.MALFORMED:
                    return HttpResponse(
                        b'{"truncated": tr', content_type="application/json", status=200
                    )
                if fault.mode == FaultMode.TIMEOUT:
                    time.sleep(fault.delay or TIMEOUT_HOLD_SECONDS)
                elif fault.mode == FaultMode.SLOW:
                    time.sleep(fault.delay)
            if request.method not in methods:
                response = make_error(405, f"Method {request.method} not allowed")
                response["Allow"] = ", ".join(methods)
                return response
            request.sandbox_error = make_error
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class BadJson(Exception):
    pass


def json_body(request):
    """The decoded JSON body, or raise BadJson (views turn it into the vendor's 400)."""
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(str(exc)) from exc
