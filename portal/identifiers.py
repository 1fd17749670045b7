"""Identifiers that staff and integrators set (MRN, vendor ids, device serials, metric keys)
and ZIP codes: checked on input so no stored value can break a header, a CSV line or a log.

A control character in an MRN made the readings CSV export fail (a newline is not allowed in
a header), and Python's `\\d` and int() read every script's digits ("٢٠٢٦" is 2026), so a ZIP
code in Arabic-Indic digits used to pass."""

import functools
import re
import unicodedata

from django.core.exceptions import ValidationError

# Cc: C0/C1 controls (NUL, tab, line breaks, ESC); Cf: invisible formatting (bidi overrides,
# zero-width); Zl/Zp: Unicode line and paragraph separators.
CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
IDENTIFIER_MESSAGE = "Identifiers cannot hold control characters (line breaks, tabs, NUL, …)."
ZIP_CODE = re.compile(r"[0-9]{5}(-[0-9]{4})?")  # not \d: ASCII digits only
ZIP_MESSAGE = "A ZIP code is 5 digits (or ZIP+4: 12345-6789), written with ASCII digits."


def _class_of(categories) -> str:
    """A regex character class body holding the BMP code points of `categories`, as ranges."""
    ranges, start, last = [], None, None
    # The Basic Multilingual Plane only: an astral character in a pattern is two UTF-16 units
    # to ECMA 262 regexes (what JSON Schema specifies), which breaks the class. The astral
    # ones (tag characters, a few format controls) are still refused; the schema cannot say so.
    for cp in range(0xFFFF + 1):
        if unicodedata.category(chr(cp)) in categories:
            if start is None:
                start = cp
            elif cp != last + 1:
                ranges.append((start, last))
                start = cp
            last = cp
    if start is not None:
        ranges.append((start, last))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


@functools.cache
def identifier_pattern(*, blank_ok: bool = True) -> str:
    """The rule above as a JSON Schema pattern: the API schema documents identifier fields with
    it, so a generated client (or schemathesis) knows what the server refuses. Literal
    characters, not escapes: Python's and ECMA's regex both read them. Built on first use (a
    walk over every code point; the schema needs it, a request never does)."""
    bad = _class_of(CONTROL_CATEGORIES)
    if blank_ok:
        return f"^[^{bad}]*$"
    return f"^[^{bad}]*[^{bad}\\s][^{bad}]*$"


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in CONTROL_CATEGORIES for ch in value)


def validate_identifier(value) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(IDENTIFIER_MESSAGE, code="control_character")


def validate_zip_code(value) -> None:
    if value and not ZIP_CODE.fullmatch(value):
        raise ValidationError(ZIP_MESSAGE, code="invalid_zip_code")


def clean_identifier_fields(instance, names, exclude=None, *, zip_field=None) -> None:
    """For a model's clean_fields(): the checks above on `names` (and the ZIP field), skipping
    fields a form excludes. Kept out of the field definitions so the rule needs no migration."""
    exclude = set(exclude or ())
    errors = {}
    for name in names:
        if name in exclude:
            continue
        try:
            validate_identifier(getattr(instance, name))
        except ValidationError as exc:
            errors[name] = exc.messages
    if zip_field and zip_field not in exclude:
        try:
            validate_zip_code(getattr(instance, zip_field))
        except ValidationError as exc:
            errors[zip_field] = exc.messages
    if errors:
        raise ValidationError(errors)
