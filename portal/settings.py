"""Vitals Portal settings: one module, every value read from the environment.

The README lists each variable. Defaults are safe for production except where the sandbox is
on (`PORTAL_SANDBOX=1`, demo and tests only), which also allows throwaway secrets.
"""

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
PORTAL_SANDBOX = env.bool("PORTAL_SANDBOX", default=False)
# `make demo`: the sandbox with DEBUG off, so the demo shows the portal's own error pages and
# serves static files as production does, over plain http://127.0.0.1:8000. The throwaway keys
# and insecure cookies come from PORTAL_SANDBOX; DEMO adds only the sandbox's control endpoints.
DEMO = PORTAL_SANDBOX and env.bool("DEMO", default=False)

# Public (it is in the repository): the demo's key. `check --deploy` fails while it is in use.
DEMO_SECRET_KEY = "insecure-demo-only-secret-key-do-not-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=DEMO_SECRET_KEY if (DEBUG or PORTAL_SANDBOX) else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set (see README: Configuration).")


def _derived_fernet_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


# Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEY",
    default=[_derived_fernet_key(SECRET_KEY)] if (DEBUG or PORTAL_SANDBOX) else [],
)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set (see README: Configuration).")
# `check --deploy` fails while the key is derived from SECRET_KEY (portal/checks.py).
FIELD_ENCRYPTION_KEY_DERIVED = _derived_fernet_key(SECRET_KEY) == FIELD_ENCRYPTION_KEYS[0]

# The sandbox's fault-injection and reset endpoints (portal/sandbox/control.py) answer only in
# the demo (DEMO or DEBUG) and the test suite (SANDBOX_CONTROL=1, set by pytest's env): a sandbox
# switched on by mistake elsewhere cannot be reset or made to fail from outside.
SANDBOX_CONTROL = PORTAL_SANDBOX and env.bool("SANDBOX_CONTROL", default=DEBUG or DEMO)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "portal.devserver",  # before staticfiles: its `runserver` without Nagle's delay (make demo)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "portal",
    "devices",
    "readings",
    "readings.care",
    "appointments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.BodySizeLimitMiddleware",
    "portal.middleware.QueryControlCharsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.SessionIdleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.second_factor.middleware.SecondFactorMiddleware",
    # Whose clock times are shown on (portal/timezones.py); activates no zone, reads nothing.
    "portal.timezones.ViewerZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            "builtins": ["portal.templatetags.roles"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend plus a health check without a round trip (portal/pg_backend/base.py).
    DATABASES["default"]["ENGINE"] = "portal.pg_backend"
    # Statements run through portal.fast_sql (the API's hot paths) are prepared on the server
    # after PREPARE_THRESHOLD runs per connection; the ORM's cursors bind on the client and
    # are never prepared. 0 turns it off (PgBouncer in transaction mode before 1.21).
    _prepare_after = env.int("DATABASE_PREPARE_THRESHOLD", default=2)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _prepare_after or None
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo serves several requests at once (runserver's threads, the sandbox calling back):
    # WAL lets readers go on beside a writer, and IMMEDIATE takes the write lock when a
    # transaction begins, so two writers queue for `timeout` seconds instead of one failing
    # with "database is locked" when it upgrades a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    # Tests on SQLite (make test's second pass) use a file beside the database, not memory, so
    # the live server's threads open their own connections, as the demo's do.
    if DATABASES["default"]["NAME"] != ":memory:":
        DATABASES["default"]["TEST"] = {"NAME": f"{DATABASES['default']['NAME']}.test"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env.bool("TEST_FAST_PASSWORD_HASHER", default=False):
    # Tests only (pytest sets it): hashing a password per fixture user dominated test time.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_IDLE_MINUTES without a request (shared workstations on wards).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = False  # portal.middleware.SessionIdleMiddleware renews instead
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"

# Behind a TLS proxy in production; everything secure unless DEBUG/sandbox says otherwise.
_SECURE = env.bool("SECURE_COOKIES", default=not (DEBUG or PORTAL_SANDBOX))
SESSION_COOKIE_SECURE = _SECURE
CSRF_COOKIE_SECURE = _SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_SECURE)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Second factor (portal.second_factor; README: Sign-in and the second factor).
# Superusers edit every organization's shared data: they always need a second factor unless
# this is switched off (demo data has no superuser; tests that need one switch it off).
SUPERUSER_SECOND_FACTOR_REQUIRED = env.bool("SUPERUSER_SECOND_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = env("SECOND_FACTOR_ISSUER", default="Vitals Portal")
OTP_TOTP_THROTTLE_FACTOR = 1  # waits of 1, 2, 4, 8 … s after successive wrong codes
OTP_STATIC_THROTTLE_FACTOR = 1
# WebAuthn (passkeys, django-otp-webauthn). The relying-party id is a host name, never an IP
# address: empty means the host the request came in on (already checked by ALLOWED_HOSTS),
# which suits one host name per deployment; set it when several host names share passkeys.
WEBAUTHN_RP_ID = env("WEBAUTHN_RP_ID", default="")
# Origins a passkey ceremony may come from; empty means the request's own scheme and host.
WEBAUTHN_ORIGINS = env.list("WEBAUTHN_ORIGINS", default=[])
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_RP_ID_CALLABLE = "portal.second_factor.webauthn.relying_party_id"
OTP_WEBAUTHN_HELPER_CLASS = "portal.second_factor.webauthn.PortalWebAuthnHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second step, after the password
OTP_WEBAUTHN_TIMEOUT_SECONDS = 120
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "portal.second_factor"
# django-otp-webauthn's check wants a fixed origin list; ours may come from the request
# (PortalWebAuthnHelper.get_allowed_origins), so that one check is silenced.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]

AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG or PORTAL_SANDBOX)
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))

# Request bodies: the API refuses larger bodies with 413 (portal.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", default=6 * 1024 * 1024)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api_auth.ApiKeyAuthentication",
        "portal.api_auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.api_auth.IsOrganizationMember"],
    "DEFAULT_PARSER_CLASSES": ["portal.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["portal.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "portal.api_helpers.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["portal.api_auth.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": env("API_RATE_LIMIT", default="1200/min")},
    "EXCEPTION_HANDLER": "portal.api_helpers.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "portal.schema.PortalAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Vitals Portal API",
    "DESCRIPTION": (
        "Remote patient monitoring and telehealth visits. Authenticate with "
        "`Authorization: Bearer <api key>`. Errors are JSON "
        '`{"error": "<code>", "message": "<text>", "fields": {...}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a "source" choice set; name each one in the schema.
    "ENUM_NAME_OVERRIDES": {
        "DeviceSourceEnum": "devices.models.DeviceSource",
        "ReadingSourceEnum": "readings.models.ReadingSource",
        "RuleKindEnum": "readings.models.RuleKind",
    },
}

# Celery: Redis broker; eager (in-process) for the demo and for tests not about the worker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "readings.tasks.*": {"queue": env("CELERY_QUEUE_INGEST", default="default")},
    "devices.tasks.*": {"queue": env("CELERY_QUEUE_SYNC", default="default")},
    "appointments.tasks.*": {"queue": env("CELERY_QUEUE_WEBHOOKS", default="default")},
    # The alert protocol's emails and escalation clock: a critical reading's email must leave
    # within a second (issue 19, bench figure 6b), so in production they get a queue and a
    # worker pool of their own (CELERY_QUEUE_NOTIFICATIONS=notifications) and never wait behind
    # a vendor sync, a pull or a report (docs/SCALE.md, "Celery and Redis plan").
    "readings.care.tasks.notification_*": {
        "queue": env("CELERY_QUEUE_NOTIFICATIONS", default="default")
    },
    "readings.care.tasks.alerts_escalate_due": {
        "queue": env("CELERY_QUEUE_NOTIFICATIONS", default="default")
    },
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often beat checks the alert protocol's clocks (s): an escalation is late by at most this.
ALERT_PROTOCOL_CHECK_SECONDS = env.float("ALERT_PROTOCOL_CHECK_SECONDS", default=30.0)
# Every periodic task, in one place (Celery beat reads this; the tasks are thin wrappers over
# services). Times in seconds. tests/portal/test_beat_schedule.py checks each name is a task.
CELERY_BEAT_SCHEDULE: dict = {
    # A run whose worker died stays "running" forever otherwise.
    "expire-stale-sync-runs": {"task": "portal.tasks.sync_runs_expire_stale", "schedule": 900.0},
    # Reconcile the Impilo inventory and Validic connections; staff actions update the mirror
    # immediately, so this only catches changes made elsewhere.
    "devices-sync-all": {"task": "devices.tasks.devices_sync_all", "schedule": 1800.0},
    # Impilo order.Status deliveries due for another try (or never picked up).
    "impilo-webhook-retries": {
        "task": "devices.tasks.impilo_webhook_deliveries_retry_due",
        "schedule": 60.0,
    },
    # Pull new readings from every organization that has the vendor configured.
    "readings-pull": {"task": "readings.tasks.readings_pull_all", "schedule": 300.0},
    # Send manual readings whose next delivery attempt to Impilo is due.
    "readings-outbox-retry": {"task": "readings.tasks.outbox_retry_due", "schedule": 60.0},
    # "No data for N days" alerts.
    "care-no-data-alerts": {
        "task": "readings.care.tasks.alerts_check_no_data_all",
        "schedule": 3600.0,
    },
    # Solo webhook inbox: workers take deliveries from the table (received, due for a retry, or
    # held by a worker that died, after its lease). The receiver also hints each delivery within
    # 0.5 s, so this poll bounds the latency only when a hint is lost (Redis restarted); it
    # expires rather than piling up behind busy workers. An idle poll is one UPDATE matching
    # nothing (no WAL, no fsync).
    "solo-webhook-inbox": {
        "task": "appointments.tasks.solo_webhook_deliveries_take",
        "schedule": 2.0,
        "options": {"expires": 2.0},
    },
    "solo-report-jobs": {"task": "appointments.tasks.report_jobs_refresh", "schedule": 60.0},
    # Catch appointment changes whose webhook never arrived.
    "solo-appointments-reconcile": {
        "task": "appointments.tasks.appointments_reconcile",
        "schedule": 900.0,
    },
    "solo-waiting-rooms": {"task": "appointments.tasks.waiting_rooms_sync_all", "schedule": 3600.0},
    # The alert protocol (issue 17): alerts unacknowledged past their limit go to the next person
    # on the escalation path; emails held by quiet hours or backing off after a failure are sent.
    "care-alert-escalations": {
        "task": "readings.care.tasks.alerts_escalate_due",
        "schedule": ALERT_PROTOCOL_CHECK_SECONDS,
    },
    "care-notification-emails": {
        "task": "readings.care.tasks.notification_emails_send_due",
        "schedule": ALERT_PROTOCOL_CHECK_SECONDS,
    },
}

# Outbound vendor HTTP (portal.http): timeouts in seconds, retries for idempotent calls.
VENDOR_CONNECT_TIMEOUT = env.float("VENDOR_CONNECT_TIMEOUT", default=3.05)
VENDOR_READ_TIMEOUT = env.float("VENDOR_READ_TIMEOUT", default=15)
VENDOR_RETRIES = env.int("VENDOR_RETRIES", default=3)
VENDOR_RETRY_BACKOFF = env.float("VENDOR_RETRY_BACKOFF", default=0.5)

# Where vendor clients may call (portal/http.py checks every request; VendorAccount checks the
# base URL when it is saved): per vendor, comma-separated host names, `.example.com` for its
# subdomains. HTTPS only. With PORTAL_SANDBOX the sandbox on 127.0.0.1/localhost is allowed too.
VENDOR_ALLOWED_HOSTS = {
    "impilo": env.list("VENDOR_ALLOWED_HOSTS_IMPILO", default=[]),
    "validic": env.list("VENDOR_ALLOWED_HOSTS_VALIDIC", default=[]),
    "patient_graph": env.list("VENDOR_ALLOWED_HOSTS_PATIENT_GRAPH", default=[]),
    "solo": env.list("VENDOR_ALLOWED_HOSTS_SOLO", default=[]),
}

# Outgoing email (visit join links, alert notifications). EMAIL_URL in django-environ's form:
# smtp://user:password@host:25, smtp+tls://…:587, smtp+ssl://…:465; consolemail:// prints to
# the console (the default: the demo sends nothing anywhere).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Vitals Portal <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# How long a staff invitation's sign-up link works (portal.staff_services), in days.
STAFF_INVITE_DAYS = env.int("STAFF_INVITE_DAYS", default=7)

# Where the portal reaches itself (sandbox base URLs in the demo, webhook URLs given to Solo).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's request logger prints the request line; ours carry ids only.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}
