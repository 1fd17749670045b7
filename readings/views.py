"""Readings pages: a patient's chart (HTMX swaps metric and range), the table of the same data,
CSV export, manual entry, and the organization's out-of-range overview."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from portal.downloads import attachment_disposition, csv_writer
from readings import charts, selectors
from readings.forms import ManualReadingForm, manual_initial
from readings.selectors import BP, RangeError
from readings.services.ingest import IngestError
from readings.services.manual import manual_reading_record
from readings.thresholds import effective_rules, rule_crossed
from readings.units import Metric, metric_label, unit_label
from readings.vendor_records import reading_histories

TABLE_PAGE_SIZE = 50
OVERVIEW_PAGE_SIZE = 50


def metric_choices(patient) -> list[tuple[str, str]]:
    present = selectors.metrics_of_patient(patient)
    choices = []
    if Metric.SYSTOLIC in present or Metric.DIASTOLIC in present:
        choices.append((BP, "Blood pressure"))
    choices += [
        (m, metric_label(m)) for m in present if m not in (Metric.SYSTOLIC, Metric.DIASTOLIC)
    ]
    return choices


def _selection(request, patient):
    choices = metric_choices(patient)
    metric = request.GET.get("metric") or (choices[0][0] if choices else BP)
    allowed = {c[0] for c in choices} | {BP, *Metric.values}
    if metric not in allowed:
        metric = choices[0][0] if choices else BP
    if metric not in {c[0] for c in choices}:
        # A metric asked for by name (e.g. from a link) stays visible as the selected tab.
        choices.append((metric, "Blood pressure" if metric == BP else metric_label(metric)))
    error = None
    try:
        start, end, range_key, range_label = selectors.parse_range(
            patient,
            request.GET.get("range", "30d"),
            request.GET.get("start", ""),
            request.GET.get("end", ""),
        )
    except RangeError as exc:
        error = str(exc)
        start, end, range_key, range_label = selectors.parse_range(patient, "30d")
    return {
        "choices": choices,
        "metric": metric,
        "metric_label": dict(choices).get(metric, metric_label(metric)),
        "start": start,
        "end": end,
        "range_key": range_key,
        "range_label": range_label,
        "range_error": error,
        "ranges": [(k, v[0]) for k, v in selectors.RANGES.items()],
        "custom_start": request.GET.get("start", ""),
        "custom_end": request.GET.get("end", ""),
    }


def _query(sel, **extra) -> str:
    from urllib.parse import urlencode

    params = {"metric": sel["metric"], "range": sel["range_key"]}
    if sel["range_key"] == "custom":
        params.update(start=sel["custom_start"], end=sel["custom_end"])
    params.update(extra)
    return urlencode(params)


@staff_action("patients.view")
def patient_chart(request, pk):
    patient = patient_for_org(request.organization, pk)
    sel = _selection(request, patient)
    series = selectors.readings_series(patient, sel["metric"], sel["start"], sel["end"])
    audit_event_record(
        action="reading.chart",
        request=request,
        patient=patient,
        obj=patient,
        detail={"metric": sel["metric"], "range": sel["range_key"]},
    )
    context = {
        "patient": patient,
        "sel": sel,
        "query": _query(sel),
        "has_data": bool(series and series[0].x),
        "chart": charts.chart_payload(patient, sel["metric"], series),
        "summary": charts.summary(series),
        "bucketed": bool(series and series[0].bucketed),
        "form": ManualReadingForm(patient=patient, initial=manual_initial(patient)),
    }
    template = "readings/chart.html"
    if request.htmx and request.htmx.target == "chart-area":
        template += "#chart-area"
    return render(request, template, context)


@staff_action("patients.view")
def patient_table(request, pk):
    patient = patient_for_org(request.organization, pk)
    sel = _selection(request, patient)
    rows = selectors.readings_in_range(
        patient, selectors.chart_metrics(sel["metric"]), sel["start"], sel["end"]
    )
    page = Paginator(rows, TABLE_PAGE_SIZE).get_page(request.GET.get("page"))
    rules = effective_rules(request.organization, [patient.pk])[patient.pk]
    audit_event_record(
        action="reading.list",
        request=request,
        patient=patient,
        obj=patient,
        detail={"metric": sel["metric"], "range": sel["range_key"], "page": page.number},
    )
    histories = reading_histories(page.object_list)  # one query for the page
    context = {
        "patient": patient,
        "sel": sel,
        "query": _query(sel),
        "page": page,
        "rows": [
            (
                r,
                charts.local_text(r),
                None if r.device_tz_offset is None else charts.format_offset(r.device_tz_offset),
                rule_crossed(rules, r.metric, r.value),
                _history_lines(r, histories.get(r.pk, [])),
            )
            for r in page.object_list
        ],
        "extra": "&" + _query(sel),
    }
    template = "readings/table.html"
    if request.htmx and request.htmx.target == "reading-table":
        template += "#reading-table"
    return render(request, template, context)


def _history_lines(reading, versions) -> list[str]:
    """Staff-facing lines for a reading's earlier versions, oldest first, e.g. "99 % in version
    c1: corrected by the vendor Nov 24, 2026 9:40 AM (new version c2)" (patient's local time)."""
    lines = []
    zone = reading.patient.tz
    for version, entry in versions:
        when = version.replaced_at.astimezone(zone)
        value = entry["value_text"] if entry["value"] is None else f"{entry['value']:g}"
        lines.append(
            f"{value} {unit_label(entry['unit'])} in version {version.checksum or '—'}: "
            f"{version.get_change_display().lower()} {when:%b %-d, %Y %-I:%M %p} "
            f"(new version {version.replaced_by_checksum or '—'})"
        )
    return lines


class _Echo:
    def write(self, value):
        return value


CSV_HEADER = [
    "measured_at_utc",
    "local_time",
    "utc_offset_used",
    "offset_source",
    "device_tz_offset_seconds",
    "metric",
    "value",
    "value_text",
    "unit_ucum",
    "loinc",
    "source",
    "device",
    "manual",
    "measurement_group",
    "local_day",
    "device_data",
]


@staff_action("patients.view")
def patient_csv(request, pk):
    patient = patient_for_org(request.organization, pk)
    sel = _selection(request, patient)
    rows = selectors.readings_in_range(
        patient, selectors.chart_metrics(sel["metric"]), sel["start"], sel["end"]
    )
    if request.GET.get("metric") == "all":
        rows = (
            selectors.Reading.objects.filter(
                patient=patient, measured_at__gte=sel["start"], measured_at__lt=sel["end"]
            )
            .select_related("device", "patient")
            .order_by("-measured_at", "-id")
        )
    audit_event_record(
        action="reading.export_csv",
        request=request,
        patient=patient,
        obj=patient,
        detail={"metric": request.GET.get("metric") or sel["metric"], "range": sel["range_key"]},
    )
    writer = csv_writer(_Echo())  # text cells neutralised (CSV injection)

    def lines():
        yield writer.writerow(CSV_HEADER)
        for r in rows.iterator(chunk_size=2000):
            seconds, why = r.offset_used
            yield writer.writerow(
                [
                    r.measured_at.isoformat(),
                    r.local_measured_at.isoformat(),
                    charts.format_offset(seconds).replace("\u2212", "-"),
                    why,
                    "" if r.device_tz_offset is None else r.device_tz_offset,
                    r.metric,
                    "" if r.value is None else f"{r.value:g}",
                    r.value_text,
                    r.unit,
                    r.loinc,
                    r.source,
                    r.device.identifier if r.device_id else "",
                    "true" if r.manual else "false",
                    r.measurement_group,
                    r.local_day.isoformat(),
                    "true" if r.transmitted else "false",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_disposition(
        f"readings-{patient.mrn}-{sel['range_key']}.csv"
    )
    return response


@require_POST
@staff_action("readings.manual")
def manual_reading(request, pk):
    patient = patient_for_org(request.organization, pk)
    form = ManualReadingForm(request.POST, patient=patient)
    back = request.POST.get("next") or reverse("patients:detail", args=[patient.pk])
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("patients:detail", args=[patient.pk])
    if form.is_valid():
        data = form.cleaned_data
        try:
            manual_reading_record(
                patient=patient,
                metric=data["metric"],
                value=float(data["value"]),
                second_value=(
                    float(data["second_value"]) if data.get("second_value") is not None else None
                ),
                measured_at=data["measured_at"],
                by=request.user,
                request=request,
            )
        except IngestError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"{metric_label(data['metric'])} reading saved and being sent to the vendor.",
            )
            return redirect(back)
    problems = "; ".join(
        f"{form.fields[name].label if name in form.fields else ''} {' '.join(errs)}".strip()
        for name, errs in form.errors.items()
    )
    messages.error(request, f"The reading was not saved: {problems}")
    return redirect(back)


@staff_action("patients.view")
def overview(request):
    """Readings of the last 7 days that cross a rule in force for their patient, across the
    organization."""
    days = 7
    since = timezone.now() - timedelta(days=days)
    rows = selectors.out_of_range_readings(request.organization, since)
    page = Paginator(rows, OVERVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    audit_event_record(
        action="reading.overview",
        request=request,
        detail={"page": page.number, "patients": sorted({r.patient_id for r in page})[:50]},
    )
    rules = effective_rules(request.organization, {r.patient_id for r in page.object_list})
    context = {
        "page": page,
        "days": days,
        "rows": [
            (r, charts.local_text(r), rule_crossed(rules[r.patient_id], r.metric, r.value))
            for r in page.object_list
        ],
    }
    template = "readings/overview.html"
    if request.htmx and request.htmx.target == "overview-table":
        template += "#overview-table"
    return render(request, template, context)
