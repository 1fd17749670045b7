"""The readings panel on the patient page: latest value per metric, a 30-day chart of the main
metric, a link to the full chart, and manual entry. No audit here: the patient page wrote one."""

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone

from readings import charts, selectors
from readings.forms import ManualReadingForm, manual_initial
from readings.selectors import BP
from readings.thresholds import effective_rules, rule_crossed
from readings.units import Metric


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
            "latest": [
                (r, charts.local_text(r), rule_crossed(rules, r.metric, r.value)) for r in latest
            ],
            "chart": chart,
            "main": main,
            "form": ManualReadingForm(patient=patient, initial=manual_initial(patient)),
            "next": request.get_full_path(),
        },
        request=request,
    )
