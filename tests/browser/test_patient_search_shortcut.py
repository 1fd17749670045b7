"""A nurse on a page that is not about any patient presses "/" and finds a patient by birth
date; the search box is not taken over while she types in another field."""

import datetime as dt
import re

from playwright.sync_api import expect

from tests.factories import PatientFactory


def test_slash_focuses_search_and_a_birth_date_finds_the_patient(
    signed_in_page, live_server, alice, org, screenshot_dir
):
    PatientFactory(
        organization=org,
        first_name="June",
        last_name="Carter",
        mrn="RHV-4410",
        birth_date=dt.date(1961, 7, 4),
    )
    PatientFactory.create_batch(3, organization=org)
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/accounts/profile/")
    search = page.get_by_role("searchbox", name="Find a patient by name, MRN or birth date")
    expect(search).not_to_be_focused()

    # Typing "/" into another field types a slash there; the search box stays where it is.
    zone = page.get_by_label("Show work lists in")
    zone.focus()
    page.keyboard.press("/")
    expect(search).not_to_be_focused()

    page.locator("h1").click()
    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("07/04/1961")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/patients/\?q=07%2F04%2F1961$"))
    expect(page.get_by_role("link", name="Carter, June")).to_be_visible()
    expect(page.get_by_text("1 patient matching")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/search-by-birth-date.png", full_page=True)

    # The live alert count sits in the menu once, on care pages (whose script once added its
    # own) as on every other page.
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page).to_have_url(re.compile(r"/alerts/$"))
    expect(page.locator(".mainnav [data-alert-badge]")).to_have_count(1)
