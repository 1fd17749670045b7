"""Signing a month's billing report, its evidence packets, and the amendment beside it.

Decisions (issue 15, "Who may bill what"):
- Only a physician/QHP signs (Membership.is_physician); an API key is not a person and cannot.
- A month is signed once it has ended in every time zone (its last day is over at UTC−12), so
  no 30-day period it reports is still running. Signing is idempotent: once per organization
  and month; signing a signed month returns that signature. Signing again with `amend` adds a
  new version that supersedes the current one (kept, with its packets) — only when there is an
  amendment to sign.
- What is frozen is the billing-report selector's own output (selectors.billing_lines),
  serialized generically (`plain`): whatever the days and time rules put in a line flows into
  the signature without this module knowing the rules. The evidence adds what the line only
  counts: the readings behind each device day (read with readings.billing's device-day
  expression, the one the selector uses) and each time entry with all its stored fields and its
  person, role and clinical standing.
- The amendment is computed live, never stored: the same record built now, compared with the
  signed one (codes, device days, readings, time entries, time totals), and listed as changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone

from portal.access import membership_of
from portal.audit import audit_event_record
from portal.models import Membership, Patient
from readings import billing
from readings.care.models import TimeEntry
from readings.care.selectors.billing_report import billing_lines, billing_patients
from readings.care.signing_models import BillingSignature, SignedPatientMonth
from readings.models import Reading

ATTESTATION = (
    "I have reviewed the device data and the care time behind each code in this report for "
    "the month, and I attest that the services listed were provided and documented as shown."
)
CHUNK = 500  # patients per billing_lines call when signing (three queries each)
LATEST_ZONE = dt.timezone(dt.timedelta(hours=-12))  # the last zone where a day ends


class SigningError(Exception):
    """A signing the month's state refuses: `code` is the API's error code (409)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


# --- serializing the selector's output ---------------------------------------------------------
def plain(value):
    """`value` as JSON data, generically: dataclasses as dicts of their fields, model instances
    as their id, dates as ISO text, sets sorted. The billing line's shape is the selector's."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def code_label(code: dict) -> str:
    return f"{code['code']}×{code['units']}" if code.get("units", 1) > 1 else code["code"]


def _line_record(line) -> dict:
    p = line.patient
    report = plain(line)
    periods = report.get("periods", [])
    return {
        "patient": {
            "id": p.pk,
            "mrn": p.mrn,
            "name": p.display_name,
            "time_zone": p.time_zone,
        },
        "codes": plain(line.codes),  # a property: the codes met, as the report shows them
        "device_days": sorted({d for period in periods for d in period.get("days", [])}),
        "report": report,
    }


def _person(user, members: dict[int, Membership]) -> dict:
    if user is None:
        return {"id": None, "name": "", "role": "", "clinical_staff": False}
    membership = members.get(user.pk)
    return {
        "id": user.pk,
        "name": user.get_full_name() or user.username,
        "role": membership.get_role_display() if membership else "",
        "clinical_staff": bool(membership and membership.may_bill_management),
    }


def _entry_record(entry: TimeEntry, members: dict[int, Membership]) -> dict:
    fields = {
        f.attname: plain(getattr(entry, f.attname))
        for f in TimeEntry._meta.concrete_fields
        if f.name not in ("organization", "patient")
    }
    # The person who did the work (the time helper adds `performed_by`; the author otherwise),
    # with the role they hold at signing unless the entry stored the role it had then.
    person = _person(getattr(entry, "performed_by", None) or entry.author, members)
    if getattr(entry, "performer_role", ""):
        person["role"] = entry.performer_role
    contact = getattr(entry, "is_contact", None)
    return {
        "id": entry.pk,
        "day": entry.day.isoformat(),
        "minutes": entry.minutes,
        "activity": entry.get_activity_display(),
        "person": person,
        "contact": bool(entry.interactive if contact is None else contact),
        "fields": fields,
    }


def _reading_record(row: dict) -> dict:
    return {
        "id": row["id"],
        "metric": row["metric"],
        "value": row["value"] if row["value"] is not None else row["value_text"],
        "unit": row["unit"],
        "measured_at": plain(row["measured_at"]),
        "local_day": plain(row["evidence_day"]),
        "source": row["source"],
        "device": row["device__identifier"] or (f"#{row['device_id']}" if row["device_id"] else ""),
    }


def _readings_by_day(lines) -> dict[int, dict[str, list[dict]]]:
    """{patient id: {device day: readings behind it}} for the lines' device days, in one query.
    The day is readings.billing's device_day_expression: the one the selector counts with."""
    wanted = {line.patient.pk: set(_line_record_days(line)) for line in lines}
    all_days = sorted(d for days in wanted.values() for d in days)
    out: dict[int, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    if not all_days:
        return out
    start = dt.datetime.combine(all_days[0] - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(all_days[-1] + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    rows = (
        Reading.objects.filter(
            billing.device_data(),
            patient_id__in=[pid for pid, days in wanted.items() if days],
            measured_at__gte=start,
            measured_at__lt=end,
        )
        .annotate(evidence_day=billing.device_day_expression(F("patient__time_zone")))
        .order_by("measured_at", "id")
        .values(
            "id",
            "patient_id",
            "metric",
            "value",
            "value_text",
            "unit",
            "measured_at",
            "source",
            "device_id",
            "device__identifier",
            "evidence_day",
        )
    )
    for row in rows:
        day = row["evidence_day"]
        if isinstance(day, str):  # SQLite hands the annotated date back as text
            day = dt.date.fromisoformat(day)
            row["evidence_day"] = day
        if day in wanted[row["patient_id"]]:
            out[row["patient_id"]][day.isoformat()].append(_reading_record(row))
    return out


def _line_record_days(line) -> list[dt.date]:
    return [d for period in line.periods for d in period.days]


def patient_month_records(patients: list[Patient], month: dt.date, *, now=None) -> dict:
    """{patient id: (line, evidence)} for the report's month, as signing stores them and the
    amendment compares them. Five queries whatever the number of patients."""
    lines = billing_lines(patients, month, now=now)
    readings = _readings_by_day(lines)
    authors = {
        u.pk
        for line in lines
        for e in line.entries
        for u in (e.author, getattr(e, "performed_by", None))
        if u is not None
    }
    members = {
        m.user_id: m for m in Membership.objects.filter(user_id__in=authors).select_related("user")
    }
    out = {}
    for line in lines:
        record = _line_record(line)
        by_day = readings[line.patient.pk]
        out[line.patient.pk] = (
            record,
            {
                "device_days": [
                    {"day": day, "readings": by_day.get(day, [])} for day in record["device_days"]
                ],
                "time_entries": [_entry_record(e, members) for e in line.entries],
            },
        )
    return out


# --- reads --------------------------------------------------------------------------------------
def month_ended(month: dt.date, now=None) -> bool:
    """Whether `month` is over in every time zone (see the module docstring)."""
    _, last = billing.month_bounds(month)
    now = now or timezone.now()
    return now.astimezone(LATEST_ZONE).date() > last


def signature_current(organization, month: dt.date) -> BillingSignature | None:
    """The month's signature in force (its highest version), or None if unsigned."""
    return (
        BillingSignature.objects.filter(organization=organization, month=month.replace(day=1))
        .select_related("signed_by", "supersedes")
        .order_by("-version")
        .first()
    )


def signature_for_org(organization, pk) -> BillingSignature:
    return get_object_or_404(
        BillingSignature.objects.select_related("signed_by"), organization=organization, pk=pk
    )


def signed_patient_month(signature: BillingSignature, patient_pk) -> SignedPatientMonth:
    return get_object_or_404(
        SignedPatientMonth.objects.select_related("patient"),
        signature=signature,
        patient=patient_pk,
    )


def signature_versions(signature: BillingSignature) -> list[BillingSignature]:
    """Every version of the signature's month, newest first."""
    return list(
        BillingSignature.objects.filter(
            organization_id=signature.organization_id, month=signature.month
        ).select_related("signed_by")
    )


def can_sign(membership, month: dt.date, now=None) -> bool:
    return bool(membership and membership.is_physician and month_ended(month, now))


# --- the amendment ----------------------------------------------------------------------------
@dataclasses.dataclass
class Amendment:
    """What differs now from a signed patient line: `changes` in words, `codes_now` the codes
    the report would give today. `status`: "same", "changed", "new" (not in the signed
    report) or "gone" (signed, no longer listed)."""

    patient_id: int
    status: str
    changes: list[str]
    codes_signed: list[str]
    codes_now: list[str]


def _scalars(data: dict, prefix: str = "") -> dict[str, object]:
    """The report's time totals as flat `name: value` pairs (numbers and flags only)."""
    return {
        f"{prefix}{k}".replace("_", " "): v
        for k, v in data.items()
        if isinstance(v, bool | int | float) or v is None
    }


def _day_list(days) -> str:
    return ", ".join(dt.date.fromisoformat(d).strftime("%b %-d") for d in sorted(days))


def _entry_words(e: dict) -> str:
    who = e["person"]["name"] or "no person named"
    contact = " · interactive contact" if e["contact"] else ""
    return f"{e['day']} · {e['minutes']} min · {e['activity']}{contact} · {who}"


def record_changes(signed: tuple[dict, dict], now: tuple[dict, dict]) -> list[str]:
    """What changed between a signed (line, evidence) and the same built now, in words."""
    (line_then, ev_then), (line_now, ev_now) = signed, now
    changes = []
    codes_then = [code_label(c) for c in line_then["codes"]]
    codes_now = [code_label(c) for c in line_now["codes"]]
    if codes_then != codes_now:
        changes.append(f"codes: {' '.join(codes_then) or 'none'} → {' '.join(codes_now) or 'none'}")
    days_then, days_now = set(line_then["device_days"]), set(line_now["device_days"])
    if days_now - days_then:
        changes.append(f"device days added: {_day_list(days_now - days_then)}")
    if days_then - days_now:
        changes.append(f"device days no longer counted: {_day_list(days_then - days_now)}")
    read_then = {r["id"]: d["day"] for d in ev_then["device_days"] for r in d["readings"]}
    read_now = {r["id"]: d["day"] for d in ev_now["device_days"] for r in d["readings"]}
    added = set(read_now) - set(read_then)
    if added:
        changes.append(
            f"{len(added)} reading{'s' * (len(added) != 1)} added "
            f"({_day_list({read_now[i] for i in added})})"
        )
    removed = set(read_then) - set(read_now)
    if removed:
        changes.append(
            f"{len(removed)} signed reading{'s' * (len(removed) != 1)} no longer counted "
            f"({_day_list({read_then[i] for i in removed})})"
        )
    time_then = _scalars(line_then["report"].get("time", {}))
    time_now = _scalars(line_now["report"].get("time", {}))
    for name in sorted(set(time_then) | set(time_now)):
        if time_then.get(name) != time_now.get(name):
            changes.append(f"{name}: {time_then.get(name)} → {time_now.get(name)}")
    entries_then = {e["id"]: e for e in ev_then["time_entries"]}
    entries_now = {e["id"]: e for e in ev_now["time_entries"]}
    for pk in sorted(set(entries_now) - set(entries_then)):
        changes.append(f"time entry added: {_entry_words(entries_now[pk])}")
    for pk in sorted(set(entries_then) - set(entries_now)):
        changes.append(f"time entry removed: {_entry_words(entries_then[pk])}")
    for pk in sorted(set(entries_then) & set(entries_now)):
        if entries_then[pk]["fields"] != entries_now[pk]["fields"]:
            changes.append(f"time entry changed: {_entry_words(entries_now[pk])}")
    return changes


def amendments(
    signature: BillingSignature,
    signed: list[SignedPatientMonth],
    newcomers: list[Patient] = (),
    *,
    now=None,
) -> dict[int, Amendment]:
    """{patient id: Amendment} for these signed lines of `signature` and for patients listed
    now but not signed (`newcomers`), computed from the report as it is now."""
    month = signature.month
    patients = [s.patient for s in signed] + list(newcomers)
    listed = set(
        billing_patients(signature.organization, month)
        .filter(pk__in=[s.patient_id for s in signed])
        .values_list("pk", flat=True)
    )
    current = patient_month_records(patients, month, now=now)
    out = {}
    for s in signed:
        codes_signed = [code_label(c) for c in s.line["codes"]]
        line_now = current[s.patient_id]
        codes_now = [code_label(c) for c in line_now[0]["codes"]]
        changes = record_changes((s.line, s.evidence), line_now)
        if s.patient_id not in listed:
            status = "gone"
            changes.insert(0, "no longer listed in the month's report")
        else:
            status = "changed" if changes else "same"
        out[s.patient_id] = Amendment(s.patient_id, status, changes, codes_signed, codes_now)
    for p in newcomers:
        line_now, evidence = current[p.pk]
        codes_now = [code_label(c) for c in line_now["codes"]]
        changes = ["not in the signed report"] + [
            f"time entry added: {_entry_words(e)}" for e in evidence["time_entries"]
        ]
        out[p.pk] = Amendment(p.pk, "new", changes, [], codes_now)
    return out


def newcomers_for(signature: BillingSignature, query: str = "", limit: int = 50):
    """Patients the month's report lists now that the signature does not hold."""
    return list(
        billing_patients(signature.organization, signature.month, query).exclude(
            pk__in=signature.patient_months.values("patient_id")
        )[:limit]
    )


def has_amendment(signature: BillingSignature, *, now=None) -> bool:
    """Whether anything in the signed month differs now (every line is compared)."""
    signed = list(signature.patient_months.select_related("patient"))
    if newcomers_for(signature, limit=1):
        return True
    for start in range(0, len(signed), CHUNK):
        found = amendments(signature, signed[start : start + CHUNK], now=now)
        if any(a.status != "same" for a in found.values()):
            return True
    return False


# --- signing ------------------------------------------------------------------------------------
def billing_month_sign(
    *,
    organization,
    month: dt.date,
    by,
    attestation: str = "",
    amend: bool = False,
    request=None,
    now=None,
) -> tuple[BillingSignature, bool]:
    """Sign the organization's month as `by` (a physician/QHP of it): freeze every patient
    line of the report with its evidence. Returns (signature, created). A signed month returns
    its signature unchanged unless `amend`, which signs a new version superseding it."""
    now = now or timezone.now()
    month = month.replace(day=1)
    membership = membership_of(by) if by is not None else None
    if membership is None or membership.organization_id != organization.pk:
        raise PermissionDenied("Only a physician/QHP of the organization signs its billing.")
    if not membership.is_physician:
        raise PermissionDenied("Only a physician/QHP signs a month's billing report.")
    if not month_ended(month, now):
        raise SigningError("month_not_ended", f"{month:%B %Y} has not ended yet.")
    current = signature_current(organization, month)
    if current is not None and not amend:
        return current, False
    if amend and current is None:
        raise SigningError("not_signed", f"{month:%B %Y} is not signed yet: sign it first.")
    if amend and not has_amendment(current, now=now):
        raise SigningError("nothing_to_amend", "Nothing changed since the month was signed.")
    patients = list(billing_patients(organization, month))
    records = {}
    for start in range(0, len(patients), CHUNK):
        records.update(patient_month_records(patients[start : start + CHUNK], month, now=now))
    totals: dict[str, int] = defaultdict(int)
    for line, _ in records.values():
        for code in line["codes"]:
            totals[code["code"]] += code["units"]
    try:
        with transaction.atomic():
            signature = BillingSignature.objects.create(
                organization=organization,
                month=month,
                version=current.version + 1 if current else 1,
                supersedes=current,
                signed_by=by,
                signer_name=by.get_full_name() or by.username,
                signer_role=membership.role,
                signed_at=now,
                attestation=attestation.strip() or ATTESTATION,
                patients=len(records),
                codes=dict(sorted(totals.items())),
            )
            SignedPatientMonth.objects.bulk_create(
                [
                    SignedPatientMonth(signature=signature, patient_id=pid, line=line, evidence=ev)
                    for pid, (line, ev) in records.items()
                ],
                batch_size=CHUNK,
            )
            audit_event_record(
                action="billing.sign",
                organization=organization,
                request=request,
                actor=by,
                obj=signature,
                detail={
                    "month": f"{month:%Y-%m}",
                    "version": signature.version,
                    "patients": len(records),
                },
            )
    except IntegrityError:
        # Another physician signed this version a moment ago: theirs stands.
        return signature_current(organization, month), False
    return signature, True
