"""A physician works with a visit's Solo records in a real browser: attaches a PDF and opens the
portal's copy, removes it after a confirmation, changes an episode and sees its visits, adds a
patient document, requests a stat consult (the second is refused in words) and looks up the
current assistance request of a device; screenshots of every page built."""

import re

import pytest
from playwright.sync_api import expect

from appointments.services.booking import appointment_book
from appointments.services.records import appointment_episode_assign, episode_create
from appointments.sync import waiting_rooms_sync
from tests.appointments.conftest import (  # noqa: F401 (fixtures used by name)
    future_slot,
    solo_account,
    solo_patient,
)
from tests.appointments.files import make_pdf

PDF = make_pdf()


@pytest.mark.usefixtures("solo_account")
def test_a_visits_records_from_attachment_to_consult(
    signed_in_page, live_server, petra, org, request, screenshot_dir, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    patient = request.getfixturevalue("solo_patient")
    rooms = {r.name: r for r in waiting_rooms_sync(organization=org)}
    visit = appointment_book(
        patient=patient,
        waiting_room=rooms["Cardiology Follow-up"],
        starts_at=future_slot(13),
        reasons=["BP review"],
        by=petra,
    )
    episode = episode_create(
        patient=patient, name="Hypertension programme", kind="rpm",
        starts_on=future_slot(0).date(), objective="BP under 130/80", by=petra,
    )  # fmt: skip
    appointment_episode_assign(appointment=visit, episode=episode, by=petra)
    page = signed_in_page(petra)

    # The visit: upload, then open the portal's copy in a new tab.
    page.goto(f"{live_server.url}/appointments/{visit.pk}/")
    page.get_by_label("Attach a file (PDF, PNG or JPEG, up to 5 MB)").set_input_files(
        {"name": "discharge-summary.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Upload").click()
    files = page.locator("#attachment-list")
    expect(files).to_contain_text("discharge-summary.pdf")  # Solo's list, loaded by HTMX
    expect(files.get_by_role("link", name="Download discharge-summary.pdf")).to_be_visible()
    page.locator("#attachments").screenshot(path=f"{screenshot_dir}/records-attachments.png")
    with page.expect_download() as saved:
        files.get_by_role("link", name="Download discharge-summary.pdf").click()
    assert saved.value.suggested_filename == "discharge-summary.pdf"
    files.get_by_role("link", name="Remove discharge-summary.pdf").click()
    expect(page.get_by_role("heading", name="Remove “discharge-summary.pdf”?")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/records-attachment-remove.png", full_page=True)
    page.get_by_role("button", name="Remove the file").click()
    expect(
        page.get_by_text("Removed “discharge-summary.pdf” from Solo and the portal.")
    ).to_be_visible()
    expect(page.locator("#attachment-list")).to_contain_text("No files attached yet.")

    # The patient page: episodes (checked against Solo's list) and documents.
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#episode-list")).to_contain_text("Hypertension programme")
    page.locator("#episodes").screenshot(path=f"{screenshot_dir}/records-patient-episodes.png")
    page.locator("#episode-list").get_by_role("link", name="Hypertension programme").click()
    expect(page.get_by_role("heading", name="Visits in this episode")).to_be_visible()
    expect(page.locator("table")).to_contain_text("BP review")
    page.get_by_label("Status").select_option(label="On hold")
    page.get_by_label("Reason if incomplete").fill("Patient travelling")
    page.get_by_role("button", name="Save in Solo").click()
    expect(page.get_by_text("Episode “Hypertension programme” updated in Solo.")).to_be_visible()
    expect(page.locator(".appt-head__status")).to_contain_text("On hold")
    page.screenshot(path=f"{screenshot_dir}/records-episode.png", full_page=True)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_role("link", name="Add a document").click()
    page.get_by_label("Document name").fill("Intake questionnaire")
    page.get_by_label("Question 1").fill("Do you smoke?")
    page.get_by_label("Response 1").fill("No, quit in 2019")
    page.get_by_role("button", name="Add to Solo").click()
    expect(page.get_by_text("Document “Intake questionnaire” added in Solo.")).to_be_visible()
    page.get_by_text("Intake questionnaire ·").click()
    page.screenshot(path=f"{screenshot_dir}/records-documents.png", full_page=True)
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    expect(page.locator("#documents")).to_contain_text("Intake questionnaire")
    page.screenshot(path=f"{screenshot_dir}/records-patient-page.png", full_page=True)

    # Stat consult: the second within 24 hours is refused in words.
    page.get_by_role("link", name="Request a stat teleconsult").click()
    page.get_by_label("Consult", exact=True).select_option(label="EEG stat")
    page.get_by_label("Location id").fill("9b2f2f4e-2a55-4c8e-9a6a-1f9d2f3b8d10")
    page.get_by_role("button", name="Request the consult").click()
    expect(
        page.get_by_text(re.compile("EEG stat consult requested: Solo booked visit #"))
    ).to_be_visible()
    page.get_by_label("Patient", exact=True).select_option(str(patient.pk))
    page.get_by_label("Location id").fill("9b2f2f4e-2a55-4c8e-9a6a-1f9d2f3b8d10")
    page.get_by_role("button", name="Request the consult").click()
    expect(page.get_by_text(re.compile("within 24 hours"))).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/records-consult-refused.png", full_page=True)

    # Virtual nursing: ask for help at a device, then look up its current request.
    page.goto(f"{live_server.url}/appointments/assistance/")
    ask = page.locator("form").filter(has_text="Ask for help at a bedside")
    ask.get_by_role("radio", name="Device serial number").check()
    ask.get_by_role("textbox", name="Device serial number").fill("123457")
    ask.get_by_role("button", name="Request assistance").click()
    expect(page.get_by_text("Assistance requested.")).to_be_visible()
    page.get_by_role("link", name="Check").click()
    result = page.locator(".appt-result[role=status]")
    expect(result).to_contain_text("incomplete")
    expect(result).to_contain_text("123457")
    page.screenshot(path=f"{screenshot_dir}/records-assistance-current.png", full_page=True)
