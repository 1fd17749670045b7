"""A coordinator books a Solo visit in a free slot, finds it in the day's list, opens the
provider link in a new tab, attaches a PDF and cancels; screenshots of every page built."""

import re

import pytest
from playwright.sync_api import expect

from appointments.models import Appointment
from portal.sandbox.state import STORE
from tests.appointments.conftest import (  # noqa: F401 (fixtures used by name)
    future_slot,
    solo,
    solo_account,
    solo_patient,
)
from tests.appointments.files import make_pdf

PDF = make_pdf()  # a real PDF: uploads are parsed whole


@pytest.mark.usefixtures("solo_account")
def test_coordinator_books_opens_link_uploads_and_cancels(
    signed_in_page, live_server, bob, request, screenshot_dir
):
    patient = request.getfixturevalue("solo_patient")
    day = future_slot(13).astimezone(patient.tz).date()
    page = signed_in_page(bob)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.get_by_role("heading", name="Video visits")).to_be_visible()
    page.get_by_role("link", name="Book a visit").click()

    expect(page.get_by_role("heading", name=re.compile("Book a video visit"))).to_be_visible()
    page.get_by_label("Waiting room").select_option(label="Nurse Triage")
    page.get_by_label("Day").fill(day.isoformat())
    page.screenshot(path=f"{screenshot_dir}/appointments-schedule-start.png", full_page=True)
    page.get_by_role("button", name="Show free times").click()
    expect(page.get_by_text(re.compile(r"Nurse Triage · .* · 48 free"))).to_be_visible()
    page.get_by_label("10:00 AM").check()
    page.get_by_label("Reason for the visit").fill("Blood pressure review")
    page.screenshot(path=f"{screenshot_dir}/appointments-schedule-slots.png", full_page=True)
    page.get_by_role("button", name="Book visit").click()

    expect(page.get_by_text(re.compile("Visit booked for .* Solo visit #"))).to_be_visible()
    visit = Appointment.objects.get()
    expect(page.get_by_text("RPM Visit Note")).to_be_visible()  # loaded from Solo by HTMX
    page.screenshot(path=f"{screenshot_dir}/appointments-detail.png", full_page=True)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#visits")).to_contain_text("Nurse Triage")
    page.locator("#episodes summary").click()
    page.locator("#visits").screenshot(path=f"{screenshot_dir}/appointments-patient-panel.png")
    page.locator("#episodes").screenshot(path=f"{screenshot_dir}/appointments-patient-episodes.png")

    page.goto(f"{live_server.url}/appointments/?range=today&day={day.isoformat()}")
    row = page.get_by_role("row", name=re.compile("Quimby, Harriet"))
    expect(row).to_contain_text("10:00 AM")
    expect(row).to_contain_text("Nurse Triage")
    page.screenshot(path=f"{screenshot_dir}/appointments-list-day.png", full_page=True)
    page.get_by_role("link", name="Week").click()
    expect(page.get_by_text(re.compile(r"visits? · week of"))).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/appointments-list-week.png", full_page=True)
    row = page.get_by_role("row", name=re.compile("Quimby, Harriet"))
    row.get_by_role("link", name="Open visit").click()

    with page.expect_popup() as popup_info:
        page.get_by_role("link", name="Open provider video link").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert f"/sandbox/solo/videocalls/{visit.solo_id}?role=provider" in popup.url
    expect(popup.get_by_text("Joined as provider")).to_be_visible()
    popup.close()

    page.get_by_label("Attach a file (PDF, PNG or JPEG, up to 5 MB)").set_input_files(
        {"name": "discharge-summary.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Attached “discharge-summary.pdf”.")).to_be_visible()
    expect(page.locator(".appt-files")).to_contain_text("discharge-summary.pdf")
    assert STORE.all("solo", "attachments")[0]["title"] == "discharge-summary.pdf"

    page.get_by_label("Reason for cancelling").fill("Patient asked to cancel")
    page.get_by_role("button", name="Cancel visit").click()
    expect(page.get_by_text("Visit cancelled. Solo has been told.")).to_be_visible()
    expect(page.locator(".appt-head__status")).to_contain_text("Cancelled")
    page.screenshot(path=f"{screenshot_dir}/appointments-detail-cancelled.png", full_page=True)
    visit.refresh_from_db()
    assert visit.status == "cancelled"
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "cancelled"


@pytest.mark.usefixtures("solo_account")
def test_reports_and_assistance_pages(signed_in_page, live_server, ada, screenshot_dir):
    page = signed_in_page(ada)
    page.goto(f"{live_server.url}/appointments/reports/")
    page.locator("#id_enc-start").fill("2026-01-01")
    page.locator("#id_enc-end").fill("2026-12-31")
    page.get_by_label("Solo report layout").fill("a2c6e3fc-c2f7-4a24-a0d6-eb2343a15469")
    page.get_by_label("Password").fill("IK5adv2N5V-gr9v6")
    page.get_by_role("button", name="Order report").click()
    expect(page.get_by_text("Encounter report ordered.")).to_be_visible()
    expect(page.get_by_role("link", name="Download zip")).to_be_visible(timeout=10000)  # polled
    page.screenshot(path=f"{screenshot_dir}/appointments-reports.png", full_page=True)

    page.goto(f"{live_server.url}/appointments/assistance/")
    ask = page.locator("form").filter(has_text="Ask for help at a bedside")  # not the look-up
    ask.get_by_label("Building", exact=True).fill("hospital")
    ask.get_by_label("Floor", exact=True).fill("floor 2")
    ask.get_by_label("Room", exact=True).fill("431")
    ask.get_by_role("button", name="Request assistance").click()
    page.screenshot(path=f"{screenshot_dir}/appointments-assistance.png", full_page=True)
    expect(page.get_by_text("Assistance requested.")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/appointments-assistance.png", full_page=True)
