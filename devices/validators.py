"""IMEI validation (seed 004: Smart Meter devices are connected by their 15-digit IMEI)."""

from django.core.exceptions import ValidationError


def luhn_ok(digits: str) -> bool:
    """The Luhn check every IMEI's last digit satisfies."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def imei_problem(value: str) -> str | None:
    """Why `value` is not an IMEI, in words a nurse can act on; None when it is one."""
    if len(value) != 15 or not value.isascii() or not value.isdigit():
        return "An IMEI is exactly 15 digits (it is printed under the barcode on the device)."
    if not luhn_ok(value):
        return "This IMEI's last digit does not match the others: check it for a typo."
    return None


def clean_imei(value: str) -> str:
    """Spaces and dashes as printed on labels are dropped; raises ValidationError if invalid."""
    imei = "".join(ch for ch in (value or "") if ch not in " -")
    problem = imei_problem(imei)
    if problem:
        raise ValidationError(problem, code="invalid_imei")
    return imei
