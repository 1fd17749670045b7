"""Turn selector series into the JSON the chart script draws (rendered with json_script, so no
inline script is needed under the CSP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from readings.selectors import BP, Series
from readings.units import METRICS, Metric, metric_label, unit_label


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
        parts.append(f"device clock {format_offset(reading.device_tz_offset)}")
    if reading.device_id:
        parts.append(f"device {reading.device.identifier}")
    parts.append(reading.get_source_display() + (" · entered manually" if reading.manual else ""))
    return " · ".join(parts)


def _bucket_text(x: int, size: int, patient) -> str:
    start = datetime.fromtimestamp(x, tz=UTC).astimezone(patient.tz)
    end = start + timedelta(seconds=size)
    if size >= 86400:
        span = f"{start:%b %-d}" + (
            "" if size == 86400 else f" \u2013 {end - timedelta(days=1):%b %-d}"
        )
    else:
        span = f"{start:%b %-d %-I:%M %p} \u2013 {end:%-I:%M %p}"
    offset = int(start.utcoffset().total_seconds())
    return f"{span} ({format_offset(offset)})"


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


def thresholds(metric: str) -> list[dict]:
    lines = []
    for m in [Metric.SYSTOLIC, Metric.DIASTOLIC] if metric == BP else [metric]:
        info = METRICS.get(m)
        if info is None:
            continue
        name = metric_label(m) if metric == BP else ""
        if info.alert_high is not None:
            lines.append(
                {"value": info.alert_high, "label": f"{name} high {info.alert_high:g}".strip()}
            )
        if info.alert_low is not None:
            lines.append(
                {"value": info.alert_low, "label": f"{name} low {info.alert_low:g}".strip()}
            )
    return lines


def chart_payload(patient, metric: str, series: list[Series]) -> dict:
    first = series[0]
    unit = METRICS[first.metric].unit if first.metric in METRICS else ""
    hover = []
    for i, _x in enumerate(first.x):
        if first.bucketed:
            n = max(s.count[i] for s in series)
            hover.append(
                f"{_bucket_text(first.x[i], first.bucket_seconds, patient)} · {n} readings"
            )
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
        "thresholds": thresholds(metric),
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
