"""The nurse's morning in a real browser: the roster, "needs attention", an alert opened from
the queue, acknowledged with a note, 12 minutes logged with a call, and 99470 on the billing
page. Screenshots of each page go to test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from readings.units import Metric
from tests.factories import (
    AssignedDeviceFactory,
    ItemFactory,
    PatientFactory,
    entry,
    evaluated,
    reading,
)

CAST = [
    # last name, first, readings days, systolic of the last reading, minutes logged
    ("Okonkwo", "Grace", 18, 132, 24),
    ("Lindqvist", "Erik", 9, 168, 6),
    ("Tanaka", "Hiro", 21, 124, 12),
    ("Moreau", "Celine", 1, 118, 0),
    ("Adeyemi", "Tunde", 12, 142, 15),
    ("Kowalski", "Anna", 0, None, 0),
    ("Haddad", "Samir", 16, 121, 31),
    ("Ferreira", "Lucia", 4, 97, 3),
]


@pytest.fixture
def clinic(org, alice, patient):
    """Harriet Quimby (alice's patient) with a critical burst, and a realistic small panel."""
    now = timezone.now()  # not at import: browser tests run late in a long session
    cuff = ItemFactory()
    scale = ItemFactory(impilo_item_id=102, name="BodyTrace BT004 Scale", kind="weight")
    patient.primary_nurse = alice
    patient.monitoring_started_on = (now - dt.timedelta(days=10)).date()
    patient.save()
    AssignedDeviceFactory(
        organization=org, item=cuff, assigned_patient=patient, identifier="BT105-0311"
    )
    for day in range(1, 9):
        reading(patient, Metric.SYSTOLIC, 138, at=now - dt.timedelta(days=day, hours=3))
    for minutes in (50, 35, 20):
        evaluated(
            patient, Metric.SYSTOLIC, 186 + minutes // 10, at=now - dt.timedelta(minutes=minutes)
        )
    for i, (last, first, days, systolic, minutes) in enumerate(CAST):
        p = PatientFactory(
            organization=org,
            last_name=last,
            first_name=first,
            primary_nurse=alice if i % 3 == 0 else None,
            time_zone=["America/New_York", "America/Chicago", "America/Denver"][i % 3],
        )
        AssignedDeviceFactory(organization=org, item=cuff if i % 2 else scale, assigned_patient=p)
        for day in range(days):
            reading(
                p,
                Metric.SYSTOLIC,
                126 + day % 7,
                at=now - dt.timedelta(days=day + (3 if i == 3 else 0), hours=2 + i),
            )
        if systolic is not None:
            evaluated(p, Metric.SYSTOLIC, systolic, at=now - dt.timedelta(hours=1 + i * 3))
        if minutes:
            entry(p, alice, minutes=minutes, interactive=minutes >= 10)
    return patient


def test_nurse_triages_an_alert_and_logs_time(
    signed_in_page, live_server, alice, clinic, screenshot_dir
):
    page = signed_in_page(alice)
    expect(page).to_have_url(re.compile(r"/roster/$"))
    expect(page.get_by_role("heading", name="Today's roster")).to_be_visible()
    expect(page.locator("#roster-results tbody tr")).to_have_count(9)
    # live count in the navigation (HTMX poll)
    expect(page.locator(".mainnav [data-alert-badge] .badge")).to_have_text(re.compile(r"^\d+"))
    page.screenshot(path=f"{screenshot_dir}/care-roster.png", full_page=True)

    page.get_by_label("Needs attention").check()
    expect(page).to_have_url(re.compile(r"attention=on"))  # HTMX swap, URL pushed
    rows = page.locator("#roster-results tbody tr")
    expect(rows.first).to_contain_text("Quimby, Harriet")
    expect(rows.first).to_contain_text("1 critical")
    expect(page.get_by_text("Kowalski, Anna")).to_have_count(0)
    page.screenshot(path=f"{screenshot_dir}/care-roster-attention.png", full_page=True)

    page.locator('.mainnav a[href="/alerts/"]').click()
    expect(page.get_by_role("heading", name="Alert queue")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/care-alert-queue.png", full_page=True)
    first = page.locator("#alert-results tbody tr").first
    expect(first).to_contain_text("Quimby, Harriet")
    first.get_by_role("link", name="Quimby, Harriet").click()

    # the patient page: the care panel lists the alert
    expect(page.get_by_role("heading", name="Quimby, Harriet")).to_be_visible()
    page.locator(".care-alert-link").first.click()
    expect(page.get_by_role("heading", name="Systolic BP at or above 180 mmHg")).to_be_visible()
    expect(page.locator("table tbody tr")).to_have_count(3)
    page.get_by_label("Note").fill(
        "Called Harriet: missed her morning dose, took it now. Recheck in 2 h."
    )
    page.screenshot(path=f"{screenshot_dir}/care-alert-detail.png", full_page=True)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(page.get_by_text("missed her morning dose")).to_be_visible()

    page.get_by_role("link", name="Quimby, Harriet").first.click()
    page.get_by_label("Minutes", exact=True).fill("12")
    page.get_by_label("Seconds", exact=True).fill("30")
    page.get_by_label("Activity", exact=True).select_option("call")
    page.locator("#time-contact_medium").select_option("phone")
    page.locator("#time-contact_with").select_option("patient")
    page.locator(".care-entry-form").screenshot(path=f"{screenshot_dir}/care-time-log-form.png")
    page.get_by_role("button", name="Log time").click()
    expect(page.get_by_text("Logged 12 min 30 s.")).to_be_visible()
    expect(page.locator(".care-facts")).to_contain_text("99470")
    page.locator("#care").screenshot(path=f"{screenshot_dir}/care-patient-panel.png")

    page.get_by_role("link", name="Billing", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("RPM billing"))).to_be_visible()
    row = page.locator("table.care-billing tbody tr", has_text="Quimby, Harriet")
    expect(row.locator(".care-codes")).to_contain_text("99470")
    row.locator("summary").click()
    expect(row).to_contain_text("12 min")
    page.screenshot(path=f"{screenshot_dir}/care-billing.png", full_page=True)


def test_timer_and_thresholds_pages(signed_in_page, live_server, alice, clinic, screenshot_dir):
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/patients/{clinic.pk}/")
    page.get_by_role("button", name="Start timer").click()
    expect(page.locator(".care-timer__clock")).to_have_text(re.compile(r"^\d+:\d\d$"))
    page.locator(".care-timer").screenshot(path=f"{screenshot_dir}/care-timer-running.png")
    page.get_by_role("button", name="Stop and log").click()
    # stopped within seconds: under a minute logs nothing, and says so
    expect(page.get_by_text(re.compile("under a minute: nothing was logged"))).to_be_visible()
    page.get_by_role("link", name="Thresholds").click()
    expect(page.get_by_role("heading", name="Alert thresholds")).to_be_visible()
    page.get_by_label("Rule", exact=True).select_option("single")
    page.get_by_label("Metric").select_option("systolic")
    page.get_by_label("Threshold", exact=True).fill("170")
    page.get_by_label("Severity").select_option("warning")
    page.get_by_label("Reason").fill("Baseline hypertension; cardiology accepts up to 170.")
    page.get_by_role("button", name="Save override").click()
    expect(page.get_by_text("Threshold saved for this patient.")).to_be_visible()
    expect(page.get_by_text("Override").first).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/care-thresholds.png", full_page=True)
