"""The readings panel on the patient page: latest value per metric (blood pressure as one
"133/84 mmHg", systolic and diastolic of the same instant), a 30-day chart of the main metric
with dates and the full chart's hover (same engine: readings.charts + static/js/readings.js),
a link to the full chart, and manual entry. No audit here: the patient page wrote one."""

from dataclasses import dataclass
from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from readings import charts, selectors
from readings.forms import ManualReadingForm, manual_initial
from readings.models import SEVERITY_RANK, Reading
from readings.selectors import BP
from readings.thresholds import effective_rules, rule_crossed
from readings.units import Metric


@dataclass
class LatestRow:
    label: str
    value: str
    unit: str
    when: str
    crossed: object  # the most severe rule the value crosses, or None


def _worst(*crossings):
    found = [c for c in crossings if c is not None]
    return max(found, key=lambda c: SEVERITY_RANK[c.severity]) if found else None


def _paired_diastolic(patient, systolic: Reading, latest: dict) -> Reading | None:
    """The diastolic taken with this systolic (same instant): the newest diastolic when it is,
    else one look-up (a lone newer diastolic never pairs with an older systolic)."""
    diastolic = latest.get(Metric.DIASTOLIC)
    if diastolic is not None and diastolic.measured_at == systolic.measured_at:
        return diastolic
    return (
        Reading.objects.filter(
            patient=patient, metric=Metric.DIASTOLIC, measured_at=systolic.measured_at
        )
        .order_by("-id")
        .first()
    )


def latest_rows(patient, latest: list[Reading], rules) -> list[LatestRow]:
    """One row per metric, blood pressure as one row "133/84"."""
    by_metric = {r.metric: r for r in latest}
    rows = []
    for r in latest:
        if r.metric == Metric.DIASTOLIC and Metric.SYSTOLIC in by_metric:
            continue  # shown with its systolic
        crossed = rule_crossed(rules, r.metric, r.value)
        if r.metric == Metric.SYSTOLIC:
            dia = _paired_diastolic(patient, r, by_metric)
            value = f"{r.display_value}/{dia.display_value if dia else '—'}"
            if dia is not None:
                crossed = _worst(crossed, rule_crossed(rules, dia.metric, dia.value))
            when = charts.local_text(r)
            rows.append(LatestRow("Blood pressure", value, r.unit_label, when, crossed))
            continue
        rows.append(
            LatestRow(r.metric_label, r.display_value, r.unit_label, charts.local_text(r), crossed)
        )
    return rows


def patient_panel(request, patient) -> str:
    latest = selectors.latest_per_metric(patient)
    rules = effective_rules(patient.organization, [patient.pk])[patient.pk]
    metrics = {r.metric for r in latest}
    main = BP if Metric.SYSTOLIC in metrics else (latest[0].metric if latest else None)
    chart = None
    if main:
        end = timezone.now() + timedelta(minutes=1)
        series = selectors.readings_series(patient, main, end - timedelta(days=30), end)
        if series and series[0].x:
            chart = charts.chart_payload(patient, main, series)
    return render_to_string(
        "readings/_panel.html",
        {
            "patient": patient,
            "latest": latest_rows(patient, latest, rules),
            "chart": chart,
            "main": main,
            "form": ManualReadingForm(patient=patient, initial=manual_initial(patient)),
            "next": request.get_full_path(),
        },
        request=request,
    )
