"""The nurse opens the patient before a call: reads the header, the latest values and the mini
chart's hover, narrows the timeline to calls and device changes, pages back, and adds a
medication — on a wide screen and on a phone (no sideways scrolling)."""

import datetime as dt
import os
import re

from django.utils import timezone
from playwright.sync_api import expect

from readings.care.outreach import outreach_attempt_log
from readings.care.selectors.timeline import PAGE_SIZE
from tests.care.patient_history import patient_history
from tests.factories import demo_month_for

SHOTS = os.environ.get("PATIENT_PAGE_SHOTS", "")  # e.g. /work/shots/patient


def shot(page, screenshot_dir, name):
    page.screenshot(path=f"{screenshot_dir}/{name}.png", full_page=True)
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_nurse_opens_the_patient_and_reads_the_timeline(
    signed_in_page, live_server, alice, org, screenshot_dir
):
    # Demo patient 0: a month of BP, weight and SpO2; then one of everything the timeline shows.
    patient = demo_month_for(org, 0, first_name="Maria", last_name="Garcia")
    patient_history(patient, alice)
    for days in range(2, PAGE_SIZE + 2):  # a month of unanswered calls: more than a page
        outreach_attempt_log(
            patient=patient,
            by=alice,
            outcome="no_answer",
            medium="phone",
            now=timezone.now() - dt.timedelta(days=days),
        )
    page = signed_in_page(alice)
    page.set_viewport_size({"width": 1440, "height": 1000})

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    header = page.locator(".patient-head")
    expect(header.get_by_role("heading", name="Garcia, Maria")).to_be_visible()
    expect(header.get_by_text("No consent recorded")).to_be_visible()
    expect(
        header.get_by_text(re.compile(r"last reading \w{3} \d+, \d{4} .* E[SD]T"))
    ).not_to_have_count(0)

    readings = page.get_by_role("region", name="Readings")
    bp = readings.locator(".latest__item").filter(has_text="Blood pressure")
    expect(bp).to_have_count(1)
    expect(bp).to_contain_text(re.compile(r"\d+/\d+ mmHg"))
    chart = readings.locator(".chart .u-over")
    box = chart.bounding_box()
    chart.hover(position={"x": box["width"] * 0.6, "y": box["height"] * 0.5})
    expect(readings.locator("[data-chart-hover]")).to_contain_text(re.compile(r"mmHg · \w+ \d+"))
    shot(page, screenshot_dir, "patient-page-1440")

    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_role("link", name=re.compile("Critical alert"))).to_be_visible()
    timeline.get_by_label("Calls and outreach").check()
    expect(page).to_have_url(re.compile(r"kind=calls"))
    expect(timeline.locator(".timeline__item")).to_have_count(PAGE_SIZE)
    timeline.get_by_label("Device changes").check()
    expect(page).to_have_url(re.compile(r"kind=calls&kind=devices"))
    items = timeline.locator(".timeline__item")
    expect(items.filter(has_text="Device unassigned")).to_have_count(1)
    expect(items.filter(has_text="Outreach by phone: Left a message")).to_have_count(1)
    expect(items.filter(has_text="Device assigned")).not_to_have_count(0)
    expect(timeline.get_by_text("Critical alert")).to_have_count(0)
    shot(page, screenshot_dir, "patient-timeline-filtered-1440")

    timeline.get_by_label("Calls and outreach").uncheck()
    timeline.get_by_label("Device changes").uncheck()
    expect(timeline.get_by_role("link", name=re.compile("Critical alert")).first).to_be_visible()
    expect(items).to_have_count(PAGE_SIZE)
    timeline.get_by_role("link", name="Older").click()
    expect(items).not_to_have_count(PAGE_SIZE)

    meds = page.get_by_role("region", name="Medications")
    meds.get_by_text("Add a medication").click()
    meds.get_by_label("Medication").fill("Lisinopril")
    meds.get_by_label("Dose").fill("10 mg")
    meds.get_by_label("Started on").fill("2999-01-01")
    meds.get_by_role("button", name="Add medication").click()
    expect(meds.get_by_text("The start date cannot be in the future.")).to_be_visible()
    expect(meds.get_by_label("Dose")).to_have_value("10 mg")
    meds.get_by_label("Started on").fill("")
    meds.get_by_role("button", name="Add medication").click()
    expect(meds.get_by_text("Lisinopril")).to_be_visible()
    expect(meds.get_by_text(re.compile("Added .* by Alice Staff"))).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_role("region", name="Timeline")).to_be_visible()
    assert no_sideways_scroll(page)
    shot(page, screenshot_dir, "patient-page-390")
