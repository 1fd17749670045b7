"""The nurse opens a patient, opens the monthly summary, picks October, and downloads the PDF;
the PDF opens, names the patient and the month's figures, and renders to PNG (pypdfium2).
Screenshots at 1440 and 390 px and the PDF's pages go to test-artifacts/screenshots/ and, when
the folder exists, /work/shots/summary/ (to be looked at)."""

import io
import os

import pypdf
import pypdfium2
import pytest
from playwright.sync_api import expect

from tests.care.summary_month import MONTH, harriets_october

SHOTS = "/work/shots/summary"


@pytest.fixture
def october(org, alice, bob, petra):
    return harriets_october(org, alice, bob, petra)


def folders(screenshot_dir):
    return [screenshot_dir] + ([SHOTS] if os.path.isdir(SHOTS) else [])


def shoot(page, name, screenshot_dir):
    for folder in folders(screenshot_dir):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_nurse_prints_the_monthly_summary(
    signed_in_page, live_server, alice, october, screenshot_dir
):
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/patients/{october.pk}/")
    for folder in folders(screenshot_dir):
        page.screenshot(path=f"{folder}/patient-page-summary-link.png")
    page.get_by_role("link", name="Monthly summary").click()
    expect(page.get_by_role("heading", name="Monthly patient summary")).to_be_visible()

    page.get_by_label("Month", exact=True).fill(f"{MONTH:%Y-%m}")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("October 2026", exact=True)).to_be_visible()
    readings = page.locator("table.sum-table").first
    expect(readings.locator("tr", has_text="Blood pressure")).to_contain_text("133/84")
    shoot(page, "summary-1440", screenshot_dir)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "summary-390", screenshot_dir)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.emulate_media(media="print")  # the page's print stylesheet: the document alone
    expect(page.locator(".mainnav")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    shoot(page, "summary-print", screenshot_dir)
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"summary-{october.pk}-2026-10.pdf"
    data = download.value.path().read_bytes()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    for words in ("Quimby, Harriet", "October 2026", "133/84", "21 min", "99457"):
        assert words in text, words
    for n, pdf_page in enumerate(pypdfium2.PdfDocument(data), start=1):
        image = pdf_page.render(scale=110 / 72).to_pil()
        assert image.width > 800
        for folder in folders(screenshot_dir):
            image.save(f"{folder}/summary-download-page{n}.png")
