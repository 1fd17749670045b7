"""An in-process transport for the vendor sandbox: a request to a registered base URL is
answered by this process's own Django (the sandbox is mounted at `/sandbox/` when
PORTAL_SANDBOX is on) without opening a socket.

Why: the demo loader fills the portal's mirror through the real clients and sync services
before the server that hosts the sandbox is running, and most tests reach the sandbox only to
exercise the portal's logic, not HTTP. Everything above the socket is the same code as over
real HTTP: the vendor clients, `portal.http`'s checks and error mapping, the portal's URL
routing and middleware, the sandbox views. Tests about HTTP itself (contracts, timeouts,
resets, the browser) keep a live server.

The request is handed to Django's handler with `get_response`, not through the WSGI entry
point (and the response is not `close()`d), so the request signals do not fire:
`request_finished` would close the caller's database connection in the middle of its
transaction.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

_lock = threading.Lock()
_prefixes: dict[str, int] = {}  # registered base URL prefix -> how many holders
_handler = None


@contextlib.contextmanager
def in_process_transport(base_url: str) -> Iterator[str]:
    """While open, vendor calls whose URL starts with `base_url` are answered in process.
    Refused unless PORTAL_SANDBOX is on: production never answers a vendor call itself."""
    if not settings.PORTAL_SANDBOX:
        raise RuntimeError("the in-process transport serves only the sandbox (PORTAL_SANDBOX)")
    prefix = base_url.rstrip("/") + "/"
    with _lock:
        _prefixes[prefix] = _prefixes.get(prefix, 0) + 1
    try:
        yield prefix
    finally:
        with _lock:
            _prefixes[prefix] -= 1
            if not _prefixes[prefix]:
                del _prefixes[prefix]


def _registered(url: str) -> str | None:
    with _lock:
        return next((p for p in _prefixes if url.startswith(p)), None)


class RoutingAdapter(HTTPAdapter):
    """The shared sessions' adapter: registered prefixes in process, everything else over the
    network exactly as `requests` does."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if request.url and _registered(request.url):
            return InProcessAdapter().send(request)
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )


class InProcessAdapter(BaseAdapter):
    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        from django.core.handlers.wsgi import WSGIHandler, WSGIRequest

        global _handler
        if _handler is None:
            _handler = WSGIHandler()
        parts = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif not isinstance(body, bytes):  # a generator (streamed upload)
            body = b"".join(body)
        host = parts.hostname or "localhost"
        port = str(parts.port or (443 if parts.scheme == "https" else 80))
        environ = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": _unquote_path(parts.path or "/"),
            "QUERY_STRING": parts.query,
            "SERVER_NAME": host,
            "SERVER_PORT": port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_HOST": f"{host}:{port}" if parts.port else host,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key not in ("CONTENT_LENGTH", "HOST"):
                environ[f"HTTP_{key}"] = value
        django_response = _handler.get_response(WSGIRequest(environ))
        try:
            if django_response.streaming:
                content = b"".join(django_response.streaming_content)
            else:
                content = django_response.content
        finally:
            # Not `django_response.close()`: that sends `request_finished` too.
            for closer in django_response._resource_closers:
                closer()
        response = requests.Response()
        response.status_code = django_response.status_code
        response.reason = django_response.reason_phrase
        response.headers = CaseInsensitiveDict(dict(django_response.items()))
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


def _unquote_path(path: str) -> str:
    from urllib.parse import unquote

    # WSGI's PATH_INFO is the decoded path, as latin-1 characters of its UTF-8 bytes.
    return unquote(path).encode("utf-8").decode("latin-1")
