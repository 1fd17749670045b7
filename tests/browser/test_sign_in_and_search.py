import re

from playwright.sync_api import expect

from tests.factories import PatientFactory


def test_nurse_signs_in_and_searches_a_patient(
    signed_in_page, live_server, alice, org, screenshot_dir
):
    PatientFactory(organization=org, first_name="Harriet", last_name="Quimby", mrn="RHV-1911")
    PatientFactory.create_batch(30, organization=org)
    page = signed_in_page(alice)
    expect(page).to_have_url(re.compile(r"/roster/$"))  # the care roster is the home page
    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    # exact: the worklist badge may also read "31 patients and alerts on worklists"
    expect(page.get_by_text("31 patients", exact=True)).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/patient-list.png", full_page=True)

    page.get_by_label("Search patients by name or MRN").fill("quim")
    expect(page.get_by_text("1 patient matching")).to_be_visible()  # HTMX swap, no reload
    expect(page).to_have_url(re.compile(r"q=quim"))
    page.get_by_role("link", name="Quimby, Harriet").click()
    expect(page.get_by_role("heading", name="Quimby, Harriet")).to_be_visible()
    expect(page.get_by_text("RHV-1911", exact=True)).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/patient-detail.png", full_page=True)


def test_login_page_looks_right(page, live_server, transactional_db, screenshot_dir):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/login.png")
