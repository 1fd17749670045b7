"""The HTTP layer every vendor client shares.

- one `requests.Session` per thread (connection reuse, no cross-thread sharing);
- connect/read timeouts always set (settings.VENDOR_CONNECT_TIMEOUT / VENDOR_READ_TIMEOUT);
- retries with exponential backoff (and `Retry-After`) on 429/5xx, connection errors and
  timeouts, but only for idempotent calls: GET/PUT/DELETE, or a POST the caller marks
  idempotent (e.g. one carrying an idempotency key);
- every failure becomes one `VendorError` carrying the HTTP status and the vendor's message:
  timeouts, refused and reset connections, broken chunked bodies and 200s whose body is not
  JSON included (never a `requests` exception or a `ValueError` escaping to a view);
- a call that is not retried (a plain POST) and got no usable answer after it may have reached
  the vendor is marked `uncertain`: the vendor may have applied it, so staff are told to check
  rather than that nothing changed.

Logs carry vendor, method, path (never the query string: Validic puts tokens there) and status,
never a response body.

Where a client may call is checked on every request, not only when the base URL is saved
(`vendor_url_problem`): HTTPS to a host on the vendor's allow-list
(settings.VENDOR_ALLOWED_HOSTS), or the portal's own sandbox on 127.0.0.1/localhost when
PORTAL_SANDBOX is on. Redirects are not followed (they could lead anywhere). An answer that is
not the vendor's JSON error is never passed on verbatim: staff see a generic message and the
status.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError

from portal.inprocess import RoutingAdapter

logger = logging.getLogger("portal.vendor")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
MAX_RETRY_AFTER_SECONDS = 30.0
MALFORMED_ANSWER = "malformed_answer"
URL_NOT_ALLOWED = "base_url_not_allowed"
NOT_CONFIGURED = "not_configured"
SANDBOX_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_VENDOR_MESSAGE = 300


def vendor_url_problem(vendor: str, url: str) -> str | None:
    """Why the portal may not call `url` for `vendor`, in an administrator's words; None when
    it may: HTTPS on the standard port to a host on the vendor's allow-list (an entry
    `.example.com` allows its subdomains), or — only with PORTAL_SANDBOX — the sandbox on
    this machine over HTTP."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "is not a valid URL."
    if parts.username or parts.password:
        return "must not contain a user name or password."
    if settings.PORTAL_SANDBOX and host in SANDBOX_HOSTS and parts.scheme in ("http", "https"):
        return None
    if parts.scheme != "https":
        return "must use https://."
    if port not in (None, 443):
        return "must use the standard HTTPS port."
    allowed = [entry.lower() for entry in settings.VENDOR_ALLOWED_HOSTS.get(vendor, [])]
    if not host or not any(
        host == entry or (entry.startswith(".") and host.endswith(entry)) for entry in allowed
    ):
        setting = f"VENDOR_ALLOWED_HOSTS_{vendor.upper()}"
        return f"host “{host}” is not on the allow-list for this vendor ({setting})."
    return None


class VendorError(Exception):
    """A vendor call that did not succeed. `status` is None when no HTTP answer came back
    (timeout, connection refused). `message` is the vendor's own text where it sent one."""

    def __init__(
        self,
        vendor: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        body: Any = None,
        uncertain: bool = False,
    ):
        self.vendor = vendor
        self.message = message
        self.status = status
        self.code = code
        self.body = body
        self.uncertain = uncertain
        super().__init__(f"{vendor}: {message}" + (f" (HTTP {status})" if status else ""))

    @property
    def is_outage(self) -> bool:
        """True when the vendor gave no decision we can use (no answer, 5xx, 429, a body that
        is not JSON): try again later."""
        return self.status is None or self.status in RETRY_STATUSES or self.code == MALFORMED_ANSWER

    @property
    def staff_message(self) -> str:
        if self.code in (NOT_CONFIGURED, URL_NOT_ALLOWED):
            return (
                f"{self.vendor} is not set up for this organization (ask an administrator). "
                "Nothing was changed."
            )
        if self.uncertain:
            return (
                f"{self.vendor} did not answer in time, so it may have made the change anyway. "
                f"Nothing was changed in the portal; it shows the change once {self.vendor} "
                "confirms it (the next sync). Please check before you try again."
            )
        if self.is_outage:
            return (
                f"{self.vendor} did not answer (it may be down or slow). Nothing was changed; "
                "please try again in a few minutes."
            )
        return f"{self.vendor} refused the request: {self.message}"


_local = threading.local()


def shared_session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = "vitals-portal/1.0"
        # Registered sandbox base URLs are answered in process (portal/inprocess.py); every
        # other URL goes over the network as with requests' own adapter.
        adapter = RoutingAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session = session
    return session


class VendorClient:
    """Base for one vendor's client. Subclasses set `vendor` and `vendor_label` and implement
    `auth_headers()` / `auth_params()`; methods are named after the vendor's operations."""

    vendor: ClassVar[str] = ""
    vendor_label: ClassVar[str] = ""

    def __init__(
        self,
        base_url: str,
        *,
        secrets: dict | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
        retries: int | None = None,
        backoff: float | None = None,
    ):
        self.base_url = base_url.rstrip("/") + "/"
        self.secrets = secrets or {}
        self.session = session or shared_session()
        self.timeout = timeout or (settings.VENDOR_CONNECT_TIMEOUT, settings.VENDOR_READ_TIMEOUT)
        self.retries = settings.VENDOR_RETRIES if retries is None else retries
        self.backoff = settings.VENDOR_RETRY_BACKOFF if backoff is None else backoff

    @classmethod
    def for_organization(cls, organization, **kwargs):
        from portal.models import VendorAccount

        account = VendorAccount.objects.filter(
            organization=organization, vendor=cls.vendor, is_enabled=True
        ).first()
        if account is None:
            raise VendorError(
                cls.vendor_label or cls.vendor,
                f"{cls.vendor_label or cls.vendor} is not configured for this organization.",
                code=NOT_CONFIGURED,
            )
        return cls(account.base_url, secrets=account.secrets or {}, **kwargs)

    # --- subclass hooks -------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {}

    def auth_params(self) -> dict[str, str]:
        return {}

    def error_message(self, response: requests.Response) -> tuple[str, str | None]:
        """(message, code) from an error response; vendors differ, most use one of these. Only a
        JSON error's own message is passed on (shortened); anything else — an HTML page, plain
        text, an unknown JSON shape — becomes a generic message with the status, never the
        body itself."""
        generic = (f"answered with an unexpected response (HTTP {response.status_code})", None)
        try:
            body = response.json()
        except ValueError:
            return generic
        if isinstance(body, dict):
            code = body.get("error") if isinstance(body.get("error"), str) else body.get("code")
            code = code[:64] if isinstance(code, str) else None
            for key in ("message", "detail", "error_description", "error", "title"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value[:MAX_VENDOR_MESSAGE], code
            errors = body.get("errors")
            if isinstance(errors, list) and errors:
                first = errors[0]
                if isinstance(first, dict) and isinstance(first.get("message"), str):
                    return first["message"][:MAX_VENDOR_MESSAGE], None
                if isinstance(first, str):
                    return first[:MAX_VENDOR_MESSAGE], None
        return generic

    # --- the one request path -------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: dict | None = None,
        idempotent: bool | None = None,
        expected: tuple[int, ...] = (200, 201, 202, 204),
    ) -> requests.Response:
        method = method.upper()
        url = urljoin(self.base_url, path.lstrip("/"))
        label = self.vendor_label or self.vendor
        # The joined URL, not only the base: a path can never take the call to another host.
        problem = vendor_url_problem(self.vendor, url)
        if problem:
            logger.warning("vendor=%s %s refused: the base URL is not allowed", self.vendor, method)
            raise VendorError(label, f"Its base URL {problem}", code=URL_NOT_ALLOWED)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + (self.retries if idempotent else 0)
        all_headers = {"Accept": "application/json", **self.auth_headers(), **(headers or {})}
        all_params = {**self.auth_params(), **(params or {})}
        for attempt in range(attempts):
            last = attempt == attempts - 1
            started = time.monotonic()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=all_params or None,
                    json=json,
                    data=data,
                    files=files,
                    headers=all_headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.Timeout as exc:
                logger.warning(
                    "vendor=%s %s %s timeout attempt=%d", self.vendor, method, path, attempt + 1
                )
                if last:
                    raise VendorError(
                        label,
                        "timed out waiting for an answer",
                        uncertain=not idempotent and _may_have_arrived(exc),
                    ) from exc
                self._sleep(attempt, None)
                continue
            except requests.RequestException as exc:
                logger.warning(
                    "vendor=%s %s %s connection-error attempt=%d",
                    self.vendor,
                    method,
                    path,
                    attempt + 1,
                )
                if last:
                    raise VendorError(
                        label,
                        "could not be reached",
                        uncertain=not idempotent and _may_have_arrived(exc),
                    ) from exc
                self._sleep(attempt, None)
                continue
            elapsed_ms = int((time.monotonic() - started) * 1000)
            logger.info(
                "vendor=%s %s %s status=%s ms=%d",
                self.vendor,
                method,
                path,
                response.status_code,
                elapsed_ms,
            )
            if response.status_code in expected:
                return response
            if response.status_code in RETRY_STATUSES and not last:
                self._sleep(attempt, response.headers.get("Retry-After"))
                continue
            message, code = self.error_message(response)
            try:
                body = response.json()
            except ValueError:
                body = None  # not the vendor's JSON: kept nowhere, shown to no one
            raise VendorError(label, message, status=response.status_code, code=code, body=body)
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2**attempt)
        if retry_after:
            with contextlib.suppress(ValueError):  # an HTTP-date Retry-After keeps our backoff
                delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
        if delay > 0:
            time.sleep(delay)

    def json(self, method: str, path: str, **kwargs) -> Any:
        """`request()` and decode the JSON body; a body that is not JSON is a VendorError (an
        outage: the vendor may have applied a POST, so that one is `uncertain`)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            idempotent = kwargs.get("idempotent")
            if idempotent is None:
                idempotent = method.upper() in IDEMPOTENT_METHODS
            raise VendorError(
                self.vendor_label or self.vendor,
                "answered with a body that is not valid JSON",
                status=response.status_code,
                code=MALFORMED_ANSWER,
                uncertain=not idempotent,
            ) from exc


def _may_have_arrived(exc: requests.RequestException) -> bool:
    """False only when the connection was never made (refused, or the connect timed out)."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)
