"""A year of blood pressure for a patient with her own systolic threshold: the chart draws her
rules (her 170 warning solid, the defaults' critical lines dashed), one bucket per local day
(the 25-hour 2026-11-01 named in the hover), breaks where no reading came; the patient page's
mini chart draws the same lines. Screenshots go to test-artifacts/screenshots/."""

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from readings.care import services
from readings.device_days import readings_decide
from readings.models import Direction, Reading, RuleKind, Severity
from readings.units import METRICS

NEW_YORK = ZoneInfo("America/New_York")


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=NEW_YORK)


def a_year_of_blood_pressure(patient, now: datetime, gaps: list[date]):
    """Hourly systolic/diastolic from 2026-01-01 (local) to now, none on the `gaps` days."""
    rows, at, n = [], local_midnight(date(2026, 1, 1)).astimezone(UTC), 0
    while at < now:
        day = at.astimezone(NEW_YORK).date()
        if day not in gaps:
            d = day.toordinal()
            systolic = 140 + 14 * math.sin(d / 9) + 8 * math.sin(n / 3) + (24 if d % 41 == 0 else 0)
            for metric, value in (("systolic", systolic), ("diastolic", 84 + 6 * math.sin(d / 7))):
                rows.append(
                    Reading(
                        organization=patient.organization,
                        patient=patient,
                        metric=metric,
                        value=round(value),
                        unit=METRICS[metric].unit,
                        loinc=METRICS[metric].loinc,
                        measured_at=at,
                        source="impilo",
                        source_record_id=f"bp-{n}",
                    )
                )
        at += timedelta(hours=1)
        n += 1
    readings_decide(rows)  # bulk_create skips save(): decide each row's day as ingestion does
    Reading.objects.bulk_create(rows, batch_size=2000)


def test_chart_with_a_patient_override_and_a_dst_day(
    signed_in_page, live_server, alice, patient, screenshot_dir
):
    now = datetime.now(tz=UTC)
    recent_gap = (now - timedelta(days=9)).astimezone(NEW_YORK).date()
    a_year_of_blood_pressure(
        patient, now, gaps=[date(2026, 6, d) for d in range(10, 14)] + [recent_gap]
    )
    services.threshold_override_set(
        patient=patient,
        by=alice,
        kind=RuleKind.SINGLE,
        metric="systolic",
        direction=Direction.ABOVE,
        severity=Severity.WARNING,
        value=170,
        reason="Baseline hypertension; cardiology accepts up to 170",
    )
    page = signed_in_page(alice)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(
        f"{live_server.url}/readings/patients/{patient.pk}/"
        "?metric=bp&range=custom&start=2026-01-01&end=2026-12-31"
    )
    expect(page.get_by_text("Averages per day")).to_be_visible()
    rules = page.get_by_role("list", name="Rules in force for this patient")
    expect(rules.get_by_text("Systolic BP at or above 170 mmHg")).to_be_visible()
    expect(rules.get_by_text("Systolic BP at or above 180 mmHg")).to_be_visible()
    # Hover 2026-11-01, the 25-hour day: its bucket runs from local midnight to local midnight.
    first = local_midnight(date(2026, 1, 1)).timestamp()
    last_day = min(now.astimezone(NEW_YORK).date(), date(2026, 12, 31))
    last = local_midnight(last_day).timestamp()
    target = local_midnight(date(2026, 11, 1)).timestamp()
    plot = page.locator(".chart .u-over")
    box = plot.bounding_box()
    plot.hover(position={"x": box["width"] * (target - first) / (last - first), "y": 40})
    hover = page.locator("[data-chart-hover]")
    expect(hover).to_contain_text("Nov 1")
    expect(hover).to_contain_text("25-hour day")
    page.screenshot(path=f"{screenshot_dir}/chart-override-dst-day.png", full_page=True)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    panel = page.get_by_role("region", name="Readings")
    expect(panel.locator("canvas")).to_have_count(1)
    expect(panel.get_by_text("Systolic BP at or above 170 mmHg")).to_be_visible()
    panel.screenshot(path=f"{screenshot_dir}/patient-mini-chart.png")


def test_a_temperature_threshold_meant_as_celsius_is_refused_on_the_page(
    signed_in_page, live_server, alice, patient, screenshot_dir
):
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/patients/{patient.pk}/thresholds/")
    page.get_by_label("Rule", exact=True).select_option("single")
    page.get_by_label("Metric").select_option("temperature")
    page.get_by_label("Threshold", exact=True).fill("38")
    page.get_by_label("Unit").select_option("[degF]")
    page.get_by_label("Reason").fill("Post-op: call at 38")
    page.get_by_role("button", name="Save override").click()
    expect(page.get_by_text("Did you mean 38 °C? Choose that unit.")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/thresholds-implausible-refused.png", full_page=True)
    page.get_by_label("Unit").select_option("Cel")
    page.get_by_role("button", name="Save override").click()
    expect(page.get_by_text("Threshold saved for this patient.")).to_be_visible()
    expect(page.get_by_text("entered as 38 °C").first).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/thresholds-entered-in-celsius.png", full_page=True)
