"""`manage.py check --deploy`: the settings a production deployment must never run with. Each is
an error (not a warning), so `check --deploy` exits non-zero and a release pipeline stops."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_settings_check(app_configs=None, **kwargs):
    errors = []
    if settings.PORTAL_SANDBOX:
        errors.append(
            Error(
                "PORTAL_SANDBOX is on: the fake vendor APIs are served under /sandbox/ and the "
                "public demo secrets are accepted.",
                hint="Unset PORTAL_SANDBOX in production (demo and tests only).",
                id="portal.E001",
            )
        )
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on: error pages show code, settings and request data.",
                hint="Unset DEBUG in production.",
                id="portal.E002",
            )
        )
    if settings.SECRET_KEY == settings.DEMO_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is the public demo key: sessions and signatures can be forged.",
                hint="Set SECRET_KEY to a long random value (README: Configuration).",
                id="portal.E003",
            )
        )
    if settings.FIELD_ENCRYPTION_KEY_DERIVED:
        errors.append(
            Error(
                "FIELD_ENCRYPTION_KEY is not set: vendor credentials and webhook keys are "
                "encrypted with a key derived from SECRET_KEY (the public demo key when that is "
                "unset too).",
                hint="Set FIELD_ENCRYPTION_KEY to a Fernet key of its own (README: Configuration).",
                id="portal.E004",
            )
        )
    return errors
