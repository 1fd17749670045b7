"""A nurse opens a patient's readings chart, switches range and metric, and records a reading
taken over the phone."""

import re

from playwright.sync_api import expect

from readings.models import Reading
from tests.factories import ReadingFactory, demo_month_for


def test_nurse_reads_the_chart_switches_range_and_metric(
    signed_in_page, live_server, alice, org, screenshot_dir
):
    # Demo patient 0: BP cuff (Denver clinic clock), scale with a week of weight gain, SpO2.
    patient = demo_month_for(org, 0, first_name="Maria", last_name="Garcia")
    ReadingFactory(patient=patient, metric="systolic", value=178, source_record_id="spike")
    page = signed_in_page(alice)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    panel = page.get_by_role("region", name="Readings")
    expect(panel.get_by_text("Blood pressure", exact=True)).to_be_visible()
    expect(panel.locator("canvas")).to_have_count(1)
    page.screenshot(path=f"{screenshot_dir}/readings-patient-panel.png", full_page=True)

    panel.get_by_role("link", name="Open full chart").click()
    expect(page.get_by_role("heading", name="Blood pressure (mmHg)")).to_be_visible()
    expect(page.locator(".chart canvas")).to_have_count(1)
    chart = page.locator(".chart .u-over")
    box = chart.bounding_box()
    chart.hover(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    expect(page.locator("[data-chart-hover]")).to_contain_text("UTC")
    expect(page.locator("[data-chart-hover]")).to_contain_text("BT105-24000")
    page.screenshot(path=f"{screenshot_dir}/readings-chart-bp-30d.png", full_page=True)

    page.get_by_role("navigation", name="Time range").get_by_role("link", name="7d").click()
    expect(page).to_have_url(re.compile(r"range=7d"))
    expect(page.get_by_text("Last 7 days")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/readings-chart-bp-7d.png", full_page=True)

    page.get_by_role("navigation", name="Metric").get_by_role("link", name="Weight").click()
    expect(page.get_by_role("heading", name="Weight (lb)")).to_be_visible()
    expect(page).to_have_url(re.compile(r"metric=weight"))
    page.get_by_role("navigation", name="Time range").get_by_role("link", name="30d").click()
    expect(page.get_by_text("Last 30 days", exact=True)).to_be_visible()
    expect(page.locator(".chart canvas")).to_have_count(1)
    page.screenshot(path=f"{screenshot_dir}/readings-chart-weight-30d.png", full_page=True)

    page.get_by_role("link", name="Table").click()
    expect(page.get_by_role("heading", name=re.compile("Weight"))).to_be_visible()
    expect(page.get_by_role("cell", name="BT005-51000").first).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/readings-table.png", full_page=True)

    page.goto(f"{live_server.url}/readings/")
    expect(page.get_by_role("heading", name="Out-of-range readings")).to_be_visible()
    expect(page.get_by_role("cell", name="178 mmHg")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/readings-overview.png", full_page=True)


def test_nurse_records_a_heart_rate_taken_over_the_phone(
    signed_in_page, live_server, alice, org, screenshot_dir
):
    patient = demo_month_for(org, 2, first_name="Robert", last_name="Williams")
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/readings/patients/{patient.pk}/?metric=heart_rate&range=7d")
    page.get_by_text("Record a reading taken over the phone").click()
    page.get_by_label("What was measured").select_option("heart_rate")
    page.get_by_label("Value").fill("88")
    page.screenshot(path=f"{screenshot_dir}/readings-manual-entry.png", full_page=True)
    page.get_by_role("button", name="Save reading").click()
    expect(page.get_by_text("Heart rate reading saved")).to_be_visible()
    reading = Reading.objects.get(manual=True)
    assert (reading.metric, reading.value, reading.entered_by) == ("heart_rate", 88.0, alice)
