"""Turn selector series into the JSON the chart script draws (rendered with json_script, so no
inline script is needed under the CSP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.template.defaultfilters import pluralize

from readings import selectors
from readings.models import SEVERITY_RANK, Direction, ThresholdRule
from readings.selectors import BP, Series, chart_metrics
from readings.thresholds import effective_rules, single_rules_for
from readings.units import METRICS, metric_label, unit_label


def format_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "\u2212"
    seconds = abs(seconds)
    return f"UTC{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def local_text(reading) -> str:
    """ "Nov 24, 2026 7:32 AM (UTC-05:00)" — the patient's local time and the offset used."""
    seconds, _why = reading.offset_used
    local = reading.local_measured_at
    return f"{local:%b %-d, %Y %-I:%M %p} ({format_offset(seconds)})"


def reading_hover(reading) -> str:
    parts = [local_text(reading)]
    if reading.device_tz_offset is not None and reading.device_tz_offset != reading.offset_used[0]:
        parts.append(f"device's clock set to {format_offset(reading.device_tz_offset)}")
    if reading.device_id:
        parts.append(f"device {reading.device.identifier}")
    parts.append(reading.get_source_display() + (" · entered manually" if reading.manual else ""))
    return " · ".join(parts)


def _bucket_text(x: int, size: int, patient) -> str:
    zone = patient.tz
    start = datetime.fromtimestamp(x, tz=UTC).astimezone(zone)
    offset = format_offset(int(start.utcoffset().total_seconds()))
    if size and size % 86400 == 0:
        # Day buckets run from local midnight to local midnight: 23 or 25 hours on DST days.
        days = size // 86400
        last = start.date() + timedelta(days=days - 1)
        end_epoch = selectors.local_midnight(last + timedelta(days=1), zone)
        end = datetime.fromtimestamp(end_epoch, tz=UTC).astimezone(zone)
        span = f"{start:%b %-d}" + ("" if days == 1 else f" \u2013 {last:%b %-d}")
        hours = (end_epoch - x) // 3600
        if days == 1 and hours != 24:
            end_offset = format_offset(int(end.utcoffset().total_seconds()))
            return f"{span} ({offset} \u2192 {end_offset}, a {hours}-hour day: clocks changed)"
        return f"{span} ({offset})"
    end = start + timedelta(seconds=size)
    return f"{start:%b %-d %-I:%M %p} \u2013 {end:%-I:%M %p} ({offset})"


def _gap_text(xs: list[int], i: int, patient) -> str:
    first = selectors.local_day(xs[i], patient.tz)
    last = (
        selectors.local_day(xs[i + 1], patient.tz) - timedelta(days=1) if i + 1 < len(xs) else first
    )
    span = f"{first:%b %-d}" + ("" if last <= first else f" \u2013 {last:%b %-d}")
    return f"No readings {span}"


def bucket_label(size: int) -> str:
    if not size:
        return ""
    if size % 86400 == 0:
        days = size // 86400
        return "day" if days == 1 else f"{days} days"
    if size % 3600 == 0:
        hours = size // 3600
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{size // 60} minutes"


def rules_in_force(patient, metric: str) -> list[ThresholdRule]:
    """The patient's rules in force that watch this chart's metric(s), overrides included."""
    rules = effective_rules(patient.organization, [patient.pk])[patient.pk]
    metrics = chart_metrics(metric)
    return [r for r in rules if r.metric in metrics]


def threshold_lines(rules: list[ThresholdRule], metric: str) -> list[dict]:
    """A line per single-reading rule in force (warning and critical tiers, the patient's
    overrides marked): what the chart draws, so it shows what raises an alert."""
    lines = []
    for m in chart_metrics(metric):
        name = f"{metric_label(m).removesuffix(' BP')} " if metric == BP else ""
        for rule in single_rules_for(rules, m):
            sign = "\u2265" if rule.direction == Direction.ABOVE else "\u2264"
            whose = " (this patient)" if rule.patient_id else ""
            lines.append(
                {
                    "value": rule.value,
                    "severity": rule.severity,
                    "override": rule.patient_id is not None,
                    "label": f"{name}{sign} {rule.value:g} {rule.severity}{whose}",
                }
            )
    return lines


def rule_notes(rules: list[ThresholdRule]) -> list[dict]:
    """Every rule in force for the chart's metric, in words, for the list under the chart."""
    return [
        {
            "text": rule.describe(),
            "severity": rule.severity,
            "override": rule.patient_id is not None,
            "reason": rule.reason if rule.patient_id else "",
        }
        for rule in sorted(rules, key=lambda r: (r.metric, r.kind, -SEVERITY_RANK[r.severity]))
    ]


def chart_payload(patient, metric: str, series: list[Series]) -> dict:
    first = series[0]
    unit = METRICS[first.metric].unit if first.metric in METRICS else ""
    rules = rules_in_force(patient, metric)
    hover = []
    for i, _x in enumerate(first.x):
        if not any(s.count[i] for s in series):
            hover.append(_gap_text(first.x, i, patient))
        elif first.bucketed:
            n = max(s.count[i] for s in series)
            when = _bucket_text(first.x[i], first.bucket_seconds, patient)
            hover.append(f"{when} · {n} reading{pluralize(n)}")
        else:
            reading = next((s.readings[i] for s in series if s.readings[i] is not None), None)
            hover.append(reading_hover(reading) if reading else "")
    return {
        "metric": metric,
        "label": "Blood pressure" if metric == BP else metric_label(metric),
        "unit": unit_label(unit) if unit else "",
        "tz": patient.time_zone,
        "bucketed": first.bucketed,
        "bucket_seconds": first.bucket_seconds,
        "bucket_label": bucket_label(first.bucket_seconds),
        "x": first.x,
        "series": [
            {"label": s.label, "avg": s.avg, "low": s.low, "high": s.high, "count": s.count}
            for s in series
        ],
        "hover": hover,
        "thresholds": threshold_lines(rules, metric),
        "rules": rule_notes(rules),
    }


def summary(series: list[Series]) -> list[dict]:
    out = []
    for s in series:
        values = [v for v in s.avg if v is not None]
        lows = [v for v in s.low if v is not None]
        highs = [v for v in s.high if v is not None]
        if not values:
            continue
        n = sum(s.count)
        out.append(
            {
                "label": s.label,
                "count": n,
                "min": min(lows),
                "max": max(highs),
                "avg": round(
                    sum(v * c for v, c in zip(s.avg, s.count, strict=True) if v is not None) / n, 1
                ),
            }
        )
    return out


def utc_now() -> datetime:
    return datetime.now(tz=UTC)
