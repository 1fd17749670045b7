"""The month's billing export (/billing.csv), one row per patient and 30-day period.

An unsigned month exports the report as it is now. A signed month exports what the physician
signed — the frozen lines of the signature in force, read from SignedPatientMonth, never
recomputed — so the file a biller submits matches the attestation; each row says whether the
figures have changed since (the amendment the billing page shows beside the line), and patients
the report lists now but the signature does not hold follow with their current figures, marked
as not signed. The signature columns are blank for an unsigned month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from readings import billing
from readings.billing import NOT_BILLABLE
from readings.care import selectors, signing
from readings.care.models import TimeEntry

CSV_HEADER = [
    "patient_id",
    "mrn",
    "last_name",
    "first_name",
    "time_zone",
    "episode_start",
    "period_first_day",
    "period_last_day",
    "period_in_progress",
    "device_days",
    "device_dates",
    "management_minutes",
    "not_billable_minutes",
    "period_interpretation_minutes",
    "interactive_call",
    "time_entries",
    "codes_met",
    "signed_version",
    "signed_at",
    "since_signing",
]

CHUNK = 500  # patients per query batch: a 10,000-patient month stays a few MB in memory

SINCE_SIGNING = {
    "same": "unchanged",
    "changed": "changed since signing",
    "gone": "no longer listed",
    "new": "not signed (listed since)",
}


def _code(c) -> str:
    code, units = (c["code"], c.get("units", 1)) if isinstance(c, dict) else (c.code, c.units)
    return f"{code}x{units}" if units > 1 else code


# --- the report as it is now ----------------------------------------------------------------
def _entry_text(e) -> str:
    person = e.performed_by.get_full_name() or e.performed_by.username if e.performed_by else ""
    return (
        f"{e.day.isoformat()} {e.duration} {e.get_activity_display()}"
        f"{f' ({e.get_contact_medium_display()}, {e.contact_with})' if e.contact_medium else ''}"
        f"{' [office visit]' if e.office_visit else ''}"
        f" by {f'{person} ({e.performer_role})' if person else 'nobody named'}"
        f"{f' NOT BILLABLE: {e.not_billable_reason}' if not e.billable else ''}"
    )


def live_rows(line, signed: tuple = ("", "", "")) -> Iterator[list]:
    """Rows of a BillingLine (selectors.billing_lines), with the signature columns `signed`."""
    entries = "; ".join(_entry_text(e) for e in line.entries)
    interpretation = {(i.period.first, i.period.last): i for i in line.interpretation}
    periods = line.periods or [None]
    for period in periods:
        done = period is not None and not period.in_progress
        codes = [_code(c) for c in (period.codes if done else [])]
        interp = interpretation.get((period.first, period.last)) if period else None
        if interp and interp.code:
            codes.append(interp.code.code)
        if period is periods[-1]:
            codes += [_code(c) for c in line.management]
        p = line.patient
        yield [
            p.pk,
            p.mrn,
            p.last_name,
            p.first_name,
            p.time_zone,
            line.episode_start.isoformat() if line.episode_start else "",
            period.first.isoformat() if period else "",
            period.last.isoformat() if period else "",
            "yes" if period and period.in_progress else "no",
            len(period.days) if period else 0,
            " ".join(d.isoformat() for d in period.days) if period else "",
            line.time.management_minutes,
            line.time.not_billable_minutes,
            interp.outcome.minutes if interp else 0,
            "yes" if line.time.interactive else "no",
            entries,
            " ".join(codes),
            *signed,
        ]


# --- the signed lines, as signed ------------------------------------------------------------
def _frozen_entry_text(e: dict) -> str:
    """_entry_text's words for an entry as the signature stored it (its concrete fields)."""
    fields, person = e.get("fields", {}), e.get("person", {})
    minutes, rest = divmod(fields.get("seconds", 0), 60)
    medium = fields.get("contact_medium") or ""
    media = dict(TimeEntry._meta.get_field("contact_medium").choices or [])
    named = fields.get("performed_by_id") is not None and person.get("name")
    who = f"{person['name']} ({fields.get('performer_role', '')})" if named else "nobody named"
    contact_with = fields.get("contact_with", "")
    reason = fields.get("not_billable_reason", "")
    return (
        f"{e['day']} {minutes} min{f' {rest} s' if rest else ''} {e.get('activity', '')}"
        f"{f' ({media.get(medium, medium)}, {contact_with})' if medium else ''}"
        f"{' [office visit]' if fields.get('office_visit') else ''}"
        f" by {who}"
        f"{f' NOT BILLABLE: {reason}' if fields.get('counts_toward') == NOT_BILLABLE else ''}"
    )


def frozen_rows(signed_month, signed: tuple) -> Iterator[list]:
    """Rows of one SignedPatientMonth from its stored line and evidence, exactly as signed."""
    line, report = signed_month.line, signed_month.line["report"]
    patient = line["patient"]
    time = report.get("time", {})
    entries = "; ".join(
        _frozen_entry_text(e) for e in signed_month.evidence.get("time_entries", [])
    )
    interpretation = {
        (i["period"]["first"], i["period"]["last"]): i for i in report.get("interpretation", [])
    }
    # Who the patient is comes from the patient record now (a corrected name or MRN is the
    # same person); every figure, day and time zone is as signed.
    person = signed_month.patient
    periods = report.get("periods") or [None]
    for period in periods:
        done = period is not None and not period["in_progress"]
        codes = [_code(c) for c in (period["codes"] if done else [])]
        interp = interpretation.get((period["first"], period["last"])) if period else None
        if interp and done and interp["outcome"].get("code"):
            codes.append(interp["outcome"]["code"]["code"])
        if period is periods[-1]:
            codes += [_code(c) for c in report.get("management", [])]
        yield [
            patient["id"],
            person.mrn,
            person.last_name,
            person.first_name,
            patient.get("time_zone", ""),
            report.get("episode_start") or "",
            period["first"] if period else "",
            period["last"] if period else "",
            "yes" if period and period["in_progress"] else "no",
            len(period["days"]) if period else 0,
            " ".join(period["days"]) if period else "",
            billing.whole_minutes(time.get("management_seconds", 0)),
            billing.whole_minutes(time.get("not_billable_seconds", 0)),
            billing.whole_minutes(interp["outcome"].get("seconds", 0)) if interp else 0,
            "yes" if time.get("interactive") else "no",
            entries,
            " ".join(codes),
            *signed,
        ]


def month_rows(organization, month: dt.date) -> tuple[Iterable[list], dict]:
    """(rows, audit detail) of the month's export: the signed lines if the month is signed."""
    signature = signing.signature_current(organization, month)
    if signature is None:
        patients = list(selectors.billing_patients(organization, month))

        def live():
            for start in range(0, len(patients), CHUNK):
                for line in selectors.billing_lines(patients[start : start + CHUNK], month):
                    yield from live_rows(line)

        return live(), {"patients": len(patients)}

    stamp = (signature.version, signature.signed_at.isoformat())
    signed = list(
        signature.patient_months.select_related("patient").order_by(
            "patient__last_name", "patient__first_name", "patient_id"
        )
    )
    newcomers = signing.newcomers_for(signature, limit=None)

    def rows():
        for start in range(0, len(signed), CHUNK):
            chunk = signed[start : start + CHUNK]
            found = signing.amendments(signature, chunk)
            for s in chunk:
                yield from frozen_rows(s, (*stamp, SINCE_SIGNING[found[s.patient_id].status]))
        for start in range(0, len(newcomers), CHUNK):
            for line in selectors.billing_lines(newcomers[start : start + CHUNK], month):
                yield from live_rows(line, ("", "", SINCE_SIGNING["new"]))

    detail = {
        "patients": len(signed) + len(newcomers),
        "signed_version": signature.version,
    }
    return rows(), detail
