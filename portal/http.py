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

Logs carry vendor, method, path (never the query string: Validic puts tokens there) and status.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any, ClassVar
from urllib.parse import urljoin

import requests
from django.conf import settings
from urllib3.exceptions import NewConnectionError

logger = logging.getLogger("portal.vendor")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
MAX_RETRY_AFTER_SECONDS = 30.0
MALFORMED_ANSWER = "malformed_answer"


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
                code="not_configured",
            )
        return cls(account.base_url, secrets=account.secrets or {}, **kwargs)

    # --- subclass hooks -------------------------------------------------------------------
    def auth_headers(self) -> dict[str, str]:
        return {}

    def auth_params(self) -> dict[str, str]:
        return {}

    def error_message(self, response: requests.Response) -> tuple[str, str | None]:
        """(message, code) from an error response; vendors differ, most use one of these."""
        try:
            body = response.json()
        except ValueError:
            text = response.text.strip()
            return (text[:300] or response.reason or f"HTTP {response.status_code}", None)
        if isinstance(body, dict):
            code = body.get("error") if isinstance(body.get("error"), str) else body.get("code")
            for key in ("message", "detail", "error_description", "error", "title"):
                value = body.get(key)
                if isinstance(value, str) and value:
                    return value, code if isinstance(code, str) else None
            errors = body.get("errors")
            if isinstance(errors, list) and errors:
                first = errors[0]
                if isinstance(first, dict):
                    return str(first.get("message") or first), None
                return str(first), None
        return (response.reason or f"HTTP {response.status_code}", None)

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
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        attempts = 1 + (self.retries if idempotent else 0)
        all_headers = {"Accept": "application/json", **self.auth_headers(), **(headers or {})}
        all_params = {**self.auth_params(), **(params or {})}
        label = self.vendor_label or self.vendor
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
                body = response.text[:1000]
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
