"""Helpers for writing a vendor's sandbox endpoints: JSON in/out, auth, fault injection."""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from portal.inprocess import ENVIRON_KEY as IN_PROCESS
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
            STORE.enter()
            try:
                return answer(request, *args, **kwargs)
            finally:
                STORE.leave()

        def answer(request, *args, **kwargs):
            STORE.ensure_seeded()
            fault = FAULTS.take(vendor, request.path)
            if fault is not None and fault.mode in FaultMode.ON_A_SOCKET:
                refused = request.META.get(IN_PROCESS)
                if refused is not None:  # answered in process: no socket to time out or drop
                    message = FAULTS.refuse(fault, request.path)
                    refused.append(message)
                    return make_error(500, message)
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
                if fault.mode == FaultMode.RESET and not fault.after:
                    return connection_reset(request)
                if fault.mode == FaultMode.TIMEOUT:
                    time.sleep(fault.delay or TIMEOUT_HOLD_SECONDS)
                elif fault.mode == FaultMode.SLOW:
                    time.sleep(fault.delay)
            if request.method not in methods:
                response = make_error(405, f"Method {request.method} not allowed")
                response["Allow"] = ", ".join(methods)
                return response
            request.sandbox_error = make_error
            response = view(request, *args, **kwargs)
            if fault is not None and fault.mode == FaultMode.RESET:  # applied, answer lost
                return connection_reset(request)
            return response

        return wrapper

    return decorator


def connection_reset(request) -> HttpResponse:
    """Reset the client's TCP connection (RST, no byte of an answer), so its HTTP library
    raises a connection error (`requests.exceptions.ConnectionError`), as when a proxy or the
    vendor's server drops the connection.

    Works under Django's development server, which serves the sandbox in the demo (runserver)
    and the tests (pytest-django's live_server): `wsgi.input` there reads the connection's
    socket file. SO_LINGER 0 turns the close of the socket into a RST; the close happens by
    pointing the server's descriptor at a dead socket pair (`dup2`), so the server then writes
    its answer into a broken pipe and ends the connection quietly, as for a client that left.
    """
    fd = _connection_fd(request)
    if fd is None:
        raise RuntimeError("the reset fault needs Django's development server")
    with socket.socket(fileno=os.dup(fd)) as conn:  # a handle on the same TCP socket
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ours, theirs = socket.socketpair()
    with ours, theirs:
        os.dup2(ours.fileno(), fd)  # closes the TCP socket's last descriptor: RST
    return HttpResponse(status=502)  # written into the dead pair, never seen


def _connection_fd(request) -> int | None:
    # Django's dev server: wsgi.input is LimitedStream(rfile), which keeps rfile's bound
    # read method; rfile is the connection socket's buffered reader.
    stream = request.META.get("wsgi.input")
    reader = getattr(getattr(stream, "_read", None), "__self__", None)
    try:
        return reader.fileno() if reader is not None else None
    except (OSError, ValueError, AttributeError):
        return None


class BadJson(Exception):
    pass


def json_body(request):
    """The decoded JSON body, or raise BadJson (views turn it into the vendor's 400)."""
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadJson(str(exc)) from exc
