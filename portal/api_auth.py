"""API authentication and permissions: staff sessions or integrator API keys."""

import logging

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling

from portal import fast_sql
from portal.access import membership_of
from portal.fast_sql import Columns
from portal.models import ApiKey, Organization

LAST_USED_GRANULARITY_SECONDS = 60
logger = logging.getLogger(__name__)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer vp_<prefix>_<secret>`. Returns (AnonymousUser, ApiKey)."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        # RFC 7235 §2.1: the scheme is case-insensitive ("bearer" is as good as "Bearer").
        if not parts or parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        raw = parts[1]
        segments = raw.split("_")
        if len(segments) < 3 or segments[0] != "vp":
            raise exceptions.AuthenticationFailed("Invalid API key.")
        key = api_key_by_prefix(segments[1][: ApiKey.PREFIX_LEN])
        if key is None or not key.matches(raw):
            raise exceptions.AuthenticationFailed("Invalid API key.")
        if not key.is_active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        now = timezone.now()
        if (
            key.last_used_at is None
            or (now - key.last_used_at).total_seconds() > LAST_USED_GRANULARITY_SECONDS
        ):
            # Coarse on purpose: one write a minute per key, not one per request.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        from django.contrib.auth.models import AnonymousUser

        return (AnonymousUser(), key)

    def authenticate_header(self, request):
        return self.keyword


_KEY_COLUMNS = Columns(ApiKey, "k")
_ORGANIZATION_COLUMNS = Columns(Organization, "o")


def api_key_by_prefix(prefix: str) -> ApiKey | None:
    """The key with `prefix` and its organization, read on every API request (so revoking a
    key takes effect at once): one prepared statement, not the ORM's compile step, which cost
    more than the look-up itself (issue 19)."""
    with fast_sql.cursor() as cursor:
        cursor.execute(
            f"SELECT {_KEY_COLUMNS.sql}, {_ORGANIZATION_COLUMNS.sql} "  # noqa: S608 — our names
            f"FROM {ApiKey._meta.db_table} k "
            f"JOIN {Organization._meta.db_table} o ON o.id = k.organization_id "
            "WHERE k.prefix = %s",
            [prefix],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    key = _KEY_COLUMNS.build(row)
    key._state.fields_cache["organization"] = _ORGANIZATION_COLUMNS.build(row, _KEY_COLUMNS.width)
    return key


class SessionAuthentication(authentication.SessionAuthentication):
    """Staff sessions (CSRF enforced as usual for unsafe methods)."""


def api_organization(request):
    """The organization a request acts for: its API key's, or the staff member's."""
    if isinstance(request.auth, ApiKey):
        return request.auth.organization
    membership = membership_of(request.user)
    return membership.organization if membership else None


class IsOrganizationMember(permissions.BasePermission):
    """An API key, or a signed-in staff member with a membership. A view may narrow further:
    `required_scopes = {"GET": "patients:read", "POST": (..., ...)}` for keys and
    `allowed_roles = {...}` for staff (per method, or "*" for all methods). A key needs every
    scope listed for the method: the scope of each kind of data the answer carries and of
    what the request changes."""

    message = "Authentication credentials were not provided."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            needed = required_scopes_for(view, request.method)
            missing = [scope for scope in needed if scope not in request.auth.scopes]
            if missing:
                names = " and ".join(f"'{scope}'" for scope in missing)
                self.message = f"This API key lacks the {names} scope{'s' * (len(missing) > 1)}."
                return False
            request.organization = request.auth.organization
            return True
        membership = membership_of(request.user)
        if membership is None:
            if request.user and request.user.is_authenticated:
                self.message = "Your account is not a member of any organization."
                return False
            raise exceptions.NotAuthenticated()
        roles = _for_method(getattr(view, "allowed_roles", None), request.method)
        if roles and membership.role not in roles:
            self.message = "Your role does not allow this action."
            return False
        request.membership = membership
        request.organization = membership.organization
        return True


def required_scopes_for(view, method: str) -> tuple[str, ...]:
    """The scopes a key needs for `method` on `view`. HEAD runs the GET handler, so it needs
    GET's scopes."""
    method = "GET" if method == "HEAD" else method
    scopes = _for_method(getattr(view, "required_scopes", None), method)
    if not scopes:
        return ()
    return (scopes,) if isinstance(scopes, str) else tuple(scopes)


def _for_method(mapping, method):
    if not mapping:
        return None
    if isinstance(mapping, str | tuple | list | set | frozenset):
        return mapping
    return mapping.get(method, mapping.get("*"))


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """One budget per API key or per staff user (falls back to IP for anonymous callers).

    A fixed-window counter (one atomic Redis INCR per request) instead of DRF's default sliding
    log, which reads and rewrites the list of every request time in the window: at an
    integrator's rate of hundreds a second that list is the most expensive part of a request,
    and two concurrent requests can both append to the same old copy. A burst may reach twice
    the rate across a window boundary; that is the usual trade for O(1).

    Fails open: when the cache (Redis) is unreachable the request is served, not refused —
    readings and staff actions matter more than the rate limit during a Redis restart."""

    scope = "client"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.key}_{window}"
        try:
            count = window_count(self.cache, key, self.duration + 1)
        except Exception:  # redis.ConnectionError, TimeoutError, ...: any cache failure
            logger.warning("rate limit skipped: the cache is unavailable")
            return True
        return count <= self.num_requests

    def wait(self):
        return max(0.0, self.window_ends - self.now)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


def window_count(cache, key: str, timeout: int) -> int:
    """Add one to the counter `key` (created with `timeout` seconds to live) and return it.

    On Redis: one round trip (SET NX EX, then INCR, pipelined) on one client per cache
    connection, where the cache API takes two (EXISTS, INCR) and builds a Redis client per call
    (issue 19). Elsewhere (the local-memory cache of the demo): the cache API."""
    backend = caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = _shared_client(backend, full_key)
        pipe = client.pipeline(transaction=False)
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return pipe.execute()[1]
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request (or a concurrent first request's)
        first = cache.add(key, 1, timeout)
        return 1 if first else cache.incr(key)


def _shared_client(backend, key):
    """One redis client (and its connection pool) per cache connection, kept, not rebuilt on
    every call; redis-py reconnects by itself after Redis restarts."""
    client = getattr(backend, "_portal_client", None)
    if client is None:
        client = backend._cache.get_client(key, write=True)
        backend._portal_client = client
    return client
