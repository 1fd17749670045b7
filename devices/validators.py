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


LUHN_WARNING = (
    "This IMEI's last digit does not match the others (the Luhn check digit): check it for a "
    "typo. If it is printed so on the device, confirm it to connect anyway."
)


def imei_problem(value: str) -> str | None:
    """Why `value` is not an IMEI, in words a nurse can act on; None when it is one. Only the
    form (15 ASCII digits) is a rule: seed 004 asks for "their 15-digit IMEI number", and its
    own example IMEIs (123453782873223, 111111111111111) fail the Luhn check, so a failed check
    digit is a warning staff may confirm past (imei_warning), not a refusal."""
    if len(value) != 15 or not value.isascii() or not value.isdigit():
        return "An IMEI is exactly 15 digits (it is printed under the barcode on the device)."
    return None


def imei_warning(imei: str) -> str | None:
    """The Luhn warning for a 15-digit IMEI whose check digit does not match, else None."""
    return None if luhn_ok(imei) else LUHN_WARNING


def clean_imei(value: str) -> str:
    """Spaces and dashes as printed on labels are dropped; raises ValidationError if it is not
    15 digits (the Luhn digit is only a warning: imei_warning)."""
    imei = "".join(ch for ch in (value or "") if ch not in " -")
    problem = imei_problem(imei)
    if problem:
        raise ValidationError(problem, code="invalid_imei")
    return imei
