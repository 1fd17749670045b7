"""A coordinator records that the patient agreed to receive visit links by email (patient page),
shows and copies the patient's join link on the visit page, and emails it: the message arrives
at the local SMTP server with the visit time and a patient link, nothing more."""

import os
import re

from playwright.sync_api import expect

from tests.appointments.conftest import (  # noqa: F401 (fixtures used by name)
    book,
    rooms,
    solo_account,
    solo_patient,
)

ADDRESS = "harriet.q@example.org"
SHOTS = os.environ.get("SHOTS_DIR", "")


def _shot(page, screenshot_dir, name, locator=None):
    for folder in filter(None, (screenshot_dir, SHOTS)):
        path = f"{folder}/{name}.png"
        (locator or page).screenshot(path=path, **({} if locator else {"full_page": True}))


def test_staff_email_the_patients_join_link_and_it_arrives(
    signed_in_page, live_server, bob, smtp_server, screenshot_dir, request
):
    visit = request.getfixturevalue("book")(hour=11)
    patient = visit.patient
    page = signed_in_page(bob)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    panel = page.locator("#solo-patient")
    expect(panel.get_by_text("Birth date")).to_be_visible()  # loaded from Solo by htmx
    panel.get_by_role("link", name="Edit demographics").click()
    expect(panel.get_by_label("Street address")).to_be_visible()
    _shot(page, screenshot_dir, "patient-solo-edit", panel)
    panel.get_by_role("link", name="Cancel").click()
    expect(panel.get_by_role("link", name="Edit demographics")).to_be_visible()
    panel.get_by_label("Patient's email address").fill(ADDRESS)
    panel.get_by_label("The patient agreed to receive visit links by email").check()
    panel.get_by_role("button", name="Record agreement").click()
    expect(page.get_by_text("Recorded: the patient agreed")).to_be_visible()
    expect(page.locator("#solo-patient")).to_contain_text(f"to receive visit links at {ADDRESS}")
    _shot(page, screenshot_dir, "patient-solo-panel", page.locator("#solo-patient"))

    page.goto(f"{live_server.url}/appointments/{visit.pk}/")
    join = page.locator("#patient-link")
    join.get_by_role("link", name="Show the patient's link").click()
    field = join.get_by_label(re.compile("Patient's join link"))
    expect(field).to_have_value(re.compile(rf"/videocalls/{visit.solo_id}\?role=patient"))
    join.get_by_role("button", name="Copy").click()
    expect(join.get_by_role("status")).to_have_text(re.compile("Copied|Selected"))
    _shot(page, screenshot_dir, "visit-patient-link")

    join.get_by_role("button", name=f"Email the link to {ADDRESS}").click()
    expect(page.get_by_text(f"The join link was emailed to {ADDRESS}.")).to_be_visible()
    message = smtp_server.wait_for_message(to=ADDRESS, timeout=30)
    assert message.subject == "Your video visit link"
    assert re.search(rf"/videocalls/{visit.solo_id}\?role=patient&t=", message.body)
    assert "11:00 AM" in message.body
    assert patient.last_name not in message.body
    _shot(page, screenshot_dir, "visit-patient-link-sent")
