"""Encryption at rest for secrets (vendor credentials, webhook keys).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`, keyed by FIELD_ENCRYPTION_KEY. Several
comma-separated keys may be given: the first encrypts, every key decrypts, so keys rotate by
prepending a new one and re-saving rows (`manage.py rotate_field_keys` is not needed for reads).
"""

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be url-safe base64 of 32 bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())')"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "An encrypted field could not be decrypted: FIELD_ENCRYPTION_KEY is not the key "
            "it was written with."
        ) from exc


class EncryptedJSONField(models.TextField):
    """A JSON value stored as a Fernet token; the database never sees the plain text."""

    description = "JSON encrypted at rest"
    # The attribute's type for django-stubs' mypy plugin: any JSON value, not TextField's str.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None if value is None else {}
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, dict | list) or value is None:
            return value
        try:
            return json.loads(value)
        except (TypeError, ValueError):
            return json.loads(decrypt_text(value))

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_text(json.dumps(value, sort_keys=True))

    def formfield(self, **kwargs):
        return forms.JSONField(
            required=not self.blank, help_text=self.help_text, label=self.verbose_name.capitalize()
        )

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))
