"""Schemathesis hooks for tests/security/test_api_schema_truth.py, loaded by the CLI it runs
(SCHEMATHESIS_HOOKS). They teach the generator the portal's custom string formats, which JSON
Schema cannot spell out:
- `imei`: 15 digits whose last is the Luhn check digit (devices.validators);
- `cursor`: an opaque value the server issued in `next`/`previous`; a client cannot make one
  up, so the only one it can send unprompted is the first page's (empty)."""

import json

import schemathesis
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import RejectedPositiveData, positive_data_acceptance

from devices.validators import luhn_ok


def _with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


schemathesis.openapi.format(
    "imei", st.text("0123456789", min_size=14, max_size=14).map(_with_check_digit)
)
schemathesis.openapi.format("cursor", st.just(""))


# --- known: refusals that belong to the date-range work ------------------------------------
# Requests the schema allows but the portal refuses for a date rule that JSON Schema cannot
# state (a date in the future, a window whose end is before its start). Plausible date ranges
# are being added to the date fields by the date-range work (another branch of the hardening
# issue), which owns these rules and how the schema describes them; until then they are
# accepted here, and only these: the same operation, status and field or message.
KNOWN_DATE_REFUSALS = {
    ("GET", "/api/v1/patients/{id}/readings"): {"to must be after from."},
    ("GET", "/api/v1/patients/{id}/observations"): {"to must be after from."},
    ("POST", "/api/v1/appointments"): {"That time has already passed"},
    ("POST", "/api/v1/appointments/{id}/reschedule"): {"That time has already passed"},
    ("POST", "/api/v1/patients"): {"birth_date:"},
    ("POST", "/api/v1/readings/heart-rate"): {"readingTimestamp"},
}


def _known_date_refusal(case, response) -> bool:
    fragments = KNOWN_DATE_REFUSALS.get((case.method.upper(), case.path), set())
    if response.status_code not in (400, 422) or not fragments:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    text = f"{body.get('message', '')} {' '.join(body.get('fields') or {})}"
    return any(fragment in text for fragment in fragments)


@schemathesis.check
def positive_data_acceptance_except_known_date_rules(ctx, response, case):
    """schemathesis's positive_data_acceptance (run with it excluded), less the refusals above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _known_date_refusal(case, response):
            return None
        raise
