"""A physician signs last month's billing report in a real browser; a reading and a time
entry arrive afterwards; the page keeps the signed figures and shows the amendment beside them,
and the evidence packet prints. Screenshots go to test-artifacts/screenshots/ and, when the
folder exists, /work/shots/h15-signing/ (the issue's "signed month with an amendment")."""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from readings.units import Metric
from tests.factories import AssignedDeviceFactory, PatientFactory, entry, reading

SHOTS = "/work/shots/h15-signing"
PANEL = [
    # last name, first, device days, minutes with a call
    ("Okafor", "Ngozi", 18, 24),
    ("Lindgren", "Maja", 9, 12),
    ("Reyes", "Tomas", 4, 0),
]


def ended_month(now: dt.datetime) -> dt.date:
    """Last month, or the one before on the 1st (a month ends everywhere at noon UTC), and
    never February: monitoring starts on the month's first day, and the 30-day period that
    bills its device days ends in the month only when the month has 30 days or more."""
    back = 2 if now.day == 1 else 1
    month = now.date().replace(day=1)
    for _ in range(back):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    if month.month == 2:
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


@pytest.fixture
def signed_month(org, alice):
    month = ended_month(timezone.now())
    patients = []
    for last, first, days, minutes in PANEL:
        p = PatientFactory(
            organization=org,
            last_name=last,
            first_name=first,
            time_zone="America/New_York",
            monitoring_started_on=month,
        )
        cuff = AssignedDeviceFactory(organization=org, assigned_patient=p)
        for day in range(days):
            at = dt.datetime.combine(month + dt.timedelta(days=day), dt.time(14), tzinfo=dt.UTC)
            reading(p, Metric.SYSTOLIC, 124 + day % 9, at=at, device=cuff)
        if minutes:
            entry(p, alice, minutes=minutes, day=month + dt.timedelta(days=9), interactive=True)
        patients.append((p, cuff))
    return month, patients


def shoot(page, name, screenshot_dir):
    page.screenshot(path=f"{screenshot_dir}/{name}.png", full_page=True)
    if os.path.isdir(SHOTS):
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_physician_signs_and_later_data_shows_as_amendment(
    signed_in_page, live_server, petra, alice, signed_month, screenshot_dir
):
    month, patients = signed_month
    page = signed_in_page(petra)
    page.goto(f"{live_server.url}/billing/?month={month:%Y-%m}")
    page.get_by_label(re.compile("I have reviewed")).check()
    page.get_by_role("button", name=f"Sign {month:%B %Y}").click()
    expect(page.get_by_text(re.compile(r"Signed .* \(version 1\): figures frozen"))).to_be_visible()

    # After signing: Lindgren's 10th device day and 10 more minutes (22: 99457, not 99470).
    lindgren, cuff = patients[1]
    at = dt.datetime.combine(month + dt.timedelta(days=12), dt.time(15), tzinfo=dt.UTC)
    reading(lindgren, Metric.SYSTOLIC, 150, at=at, device=cuff)
    entry(lindgren, alice, minutes=10, day=month + dt.timedelta(days=14), activity="care_plan")

    page.goto(f"{live_server.url}/billing/?month={month:%Y-%m}")
    row = page.locator("table.care-billing tbody tr", has_text="Lindgren, Maja")
    expect(row.locator(".care-codes")).to_contain_text("99470")  # as signed
    expect(row.locator(".signing-amendment")).to_contain_text("codes now: 99453 99445 99457")
    expect(row.locator(".signing-amendment")).to_contain_text("1 reading added")
    okafor = page.locator("table.care-billing tbody tr", has_text="Okafor, Ngozi")
    expect(okafor.locator(".signing-amendment")).to_contain_text("No change since signing")
    expect(page.get_by_role("button", name="Sign the amendment as version 2")).to_be_visible()
    shoot(page, "billing-signed-with-amendment", screenshot_dir)

    row.get_by_role("link", name="Printable packet").click()
    expect(page.get_by_role("heading", name=re.compile("RPM evidence packet"))).to_be_visible()
    expect(page.get_by_text("Device days and the readings behind each day")).to_be_visible()
    shoot(page, "billing-evidence-packet", screenshot_dir)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    shoot(page, "billing-evidence-packet-print", screenshot_dir)
