"""Pages of the signed billing month: the Sign button's action, the report of a signed month
(the frozen lines with the live amendment beside them) and each patient-month's evidence
packet, as a printable page and as CSV. Thin: parse, call readings.care.signing, render."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal import dates
from portal.access import staff_action
from portal.audit import audit_event_record
from portal.downloads import attachment_disposition, csv_writer
from readings.care import signing

SIGNED_PAGE = 50


@dataclass
class SignedRow:
    """One frozen patient line as the signed report shows it, with its amendment."""

    signed: object  # SignedPatientMonth
    periods: list[dict]
    time: list[tuple[str, object]]
    amendment: signing.Amendment

    @property
    def patient(self) -> dict:
        return self.signed.line["patient"]

    @property
    def codes(self) -> list[dict]:
        return self.signed.line["codes"]


def _periods(line: dict) -> list[dict]:
    return [
        {
            "first": dt.date.fromisoformat(p["first"]),
            "last": dt.date.fromisoformat(p["last"]),
            "days": len(p.get("days", [])),
        }
        for p in line["report"].get("periods", [])
    ]


def _time(line: dict) -> list[tuple[str, object]]:
    """The line's time totals as (label, value): whatever the billing report's time holds."""
    return [
        (name.replace("_", " "), value)
        for name, value in line["report"].get("time", {}).items()
        if isinstance(value, bool | int | float)
    ]


@require_POST
@staff_action("billing.sign")
def billing_sign(request):
    """Sign the month (or, with `amend`, sign its amendment as a new version)."""
    try:
        month = dates.parse_month(request.POST.get("month", ""))
    except dates.DateRefused as exc:
        messages.error(request, f"Not signed: {exc}")
        return redirect("care:billing")
    back = reverse("care:billing") + f"?month={month:%Y-%m}"
    if request.POST.get("attest") != "on":
        messages.error(request, "Not signed: tick the attestation to sign.")
        return redirect(back)
    try:
        signature, created = signing.billing_month_sign(
            organization=request.organization,
            month=month,
            by=request.user,
            amend=request.POST.get("amend") == "on",
            request=request,
        )
    except signing.SigningError as exc:
        messages.warning(request, str(exc))
        return redirect(back)
    if created:
        messages.success(
            request, f"Signed {month:%B %Y} (version {signature.version}): figures frozen."
        )
    else:
        messages.info(request, f"{month:%B %Y} was already signed; nothing changed.")
    return redirect(back)


def signed_report(request, month: dt.date, signature, query: str):
    """The billing page of a signed month (called by views.billing_report): the signed lines
    as they were, each beside what differs now."""
    signed = signature.patient_months.select_related("patient").order_by(
        "patient__last_name", "patient__first_name", "patient_id"
    )
    if query:
        signed = signed.filter(
            Q(patient__last_name__istartswith=query) | Q(patient__mrn__iexact=query)
        )
    page = Paginator(signed, SIGNED_PAGE).get_page(request.GET.get("page"))
    rows_signed = list(page.object_list)
    newcomers = signing.newcomers_for(signature, query) if page.number == 1 else []
    found = signing.amendments(signature, rows_signed, newcomers)
    rows = [SignedRow(s, _periods(s.line), _time(s.line), found[s.patient_id]) for s in rows_signed]
    audit_event_record(
        action="billing.view",
        request=request,
        obj=signature,
        detail={
            "month": f"{month:%Y-%m}",
            "signed_version": signature.version,
            "patients": [s.patient_id for s in rows_signed] + [p.pk for p in newcomers],
        },
    )
    changed = [r for r in rows if r.amendment.status != "same"]
    template = "care/billing.html"
    if request.htmx and request.htmx.target == "billing-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "month": month,
            "previous": (month - dt.timedelta(days=1)).replace(day=1),
            "next": (month + dt.timedelta(days=32)).replace(day=1),
            "page": page,
            "lines": rows,
            "query": query,
            "extra": f"&month={month:%Y-%m}&q={query}",
            "signature": signature,
            "versions": signing.signature_versions(signature),
            "signed_rows": rows,
            "newcomers": [(p, found[p.pk]) for p in newcomers],
            "amended": len(changed) + len(newcomers),
            "can_sign": request.membership.is_physician,
            "attestation": signing.ATTESTATION,
        },
    )


def _packet(request, pk, patient_pk):
    signature = signing.signature_for_org(request.organization, pk)
    signed = signing.signed_patient_month(signature, patient_pk)
    amendment = signing.amendments(signature, [signed])[signed.patient_id]
    return signature, signed, amendment


@require_GET
@staff_action("patients.view")
def evidence_page(request, pk, patient_pk):
    """The printable evidence packet of one signed patient-month."""
    signature, signed, amendment = _packet(request, pk, patient_pk)
    audit_event_record(
        action="billing.evidence.view",
        request=request,
        patient=signed.patient,
        obj=signature,
        detail={"month": f"{signature.month:%Y-%m}", "version": signature.version},
    )
    entries = signed.evidence["time_entries"]
    return render(
        request,
        "care/billing_evidence.html",
        {
            "signature": signature,
            "signed": signed,
            "line": signed.line,
            "periods": _periods(signed.line),
            "time": _time(signed.line),
            "days": [
                {
                    "day": day["day"],
                    "readings": [
                        {**r, "measured": r["measured_at"][:16].replace("T", " ") + " UTC"}
                        for r in day["readings"]
                    ],
                }
                for day in signed.evidence["device_days"]
            ],
            "entries": entries,
            "contacts": [e for e in entries if e["contact"]],
            "visit_days": signed.line["report"].get("visit_days", []),
            "amendment": amendment,
        },
    )


CSV_HEADER = [
    "section",
    "day",
    "id",
    "measured_at",
    "metric",
    "value",
    "unit",
    "device",
    "source",
    "person",
    "role",
    "clinical_staff",
    "activity",
    "minutes",
    "interactive_contact",
    "detail",
]


def _csv_rows(signature, signed, amendment):
    line, evidence = signed.line, signed.evidence
    p = line["patient"]
    blank = [""] * (len(CSV_HEADER) - 1)

    def row(section, **cells):
        out = dict(zip(CSV_HEADER[1:], blank, strict=True))
        out.update(cells)
        return [section, *[out[name] for name in CSV_HEADER[1:]]]

    yield row(
        "signature",
        day=signature.signed_at.date().isoformat(),
        id=signature.pk,
        person=signature.signer_name,
        role=signature.get_signer_role_display(),
        detail=f"{signature.month:%Y-%m} version {signature.version}; "
        f"signed {signature.signed_at.isoformat()}; {signature.attestation}",
    )
    yield row("patient", id=p["id"], detail=f"{p['name']}; MRN {p['mrn']}; {p['time_zone']}")
    for code in line["codes"]:
        yield row("code", detail=f"{signing.code_label(code)}: {code['reason']}")
    for day in evidence["device_days"]:
        n = len(day["readings"])
        yield row("device_day", day=day["day"], detail=f"{n} reading{pluralize(n)}")
        for r in day["readings"]:
            yield row(
                "reading",
                day=r["local_day"],
                id=r["id"],
                measured_at=r["measured_at"],
                metric=r["metric"],
                value=r["value"],
                unit=r["unit"],
                device=r["device"],
                source=r["source"],
            )
    for e in evidence["time_entries"]:
        yield row(
            "contact" if e["contact"] else "time_entry",
            day=e["day"],
            id=e["id"],
            person=e["person"]["name"],
            role=e["person"]["role"],
            clinical_staff="yes" if e["person"]["clinical_staff"] else "no",
            activity=e["activity"],
            minutes=e["minutes"],
            interactive_contact="yes" if e["contact"] else "no",
            detail=e["fields"].get("note", ""),
        )
    for change in amendment.changes:
        yield row("amendment", detail=change)


@require_GET
@staff_action("patients.view")
def evidence_csv(request, pk, patient_pk):
    """The evidence packet as CSV: one row per fact, `section` saying which."""
    signature, signed, amendment = _packet(request, pk, patient_pk)
    audit_event_record(
        action="billing.evidence.export",
        request=request,
        patient=signed.patient,
        obj=signature,
        detail={"month": f"{signature.month:%Y-%m}", "version": signature.version},
    )
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = attachment_disposition(
        f"rpm-evidence-{signature.month:%Y-%m}-v{signature.version}-patient-{signed.patient_id}.csv"
    )
    writer = csv_writer(response)  # every text cell neutralised (CSV injection)
    writer.writerow(CSV_HEADER)
    writer.writerows(_csv_rows(signature, signed, amendment))
    return response
