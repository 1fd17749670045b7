"""The monthly summary's page and PDF (readings.care.views_summary): who may open them, the
month asked for, the audit log, and the PDF itself — it opens, carries the patient's name and
the month's figures, and renders to PNG (saved to test-artifacts/screenshots/ and, when the
folder exists, /work/shots/summary/, to be looked at)."""

import datetime as dt
import io
from http import HTTPStatus
from pathlib import Path

import pypdf
import pypdfium2
import pytest

from portal.models import AuditEvent
from readings.care.views_summary import summary_pdf_bytes
from tests.care.summary_month import MONTH, harriets_october

SHOTS = Path("/work/shots/summary")


@pytest.fixture
def october(org, alice, bob, petra):
    return harriets_october(org, alice, bob, petra)


def page_url(patient, month=MONTH):
    return f"/patients/{patient.pk}/summary/?month={month:%Y-%m}"


def pdf_url(patient, month=MONTH):
    return f"/patients/{patient.pk}/summary.pdf?month={month:%Y-%m}"


def pdf_pages_png(data: bytes, name: str, folder: str) -> list[Path]:
    """Each page of the PDF as a PNG (pypdfium2, 110 dpi) in `folder` (and SHOTS if present)."""
    paths = []
    for n, page in enumerate(pypdfium2.PdfDocument(data), start=1):
        image = page.render(scale=110 / 72).to_pil()
        for place in [Path(folder)] + ([SHOTS] if SHOTS.is_dir() else []):
            image.save(place / f"{name}-page{n}.png")
        paths.append(Path(folder) / f"{name}-page{n}.png")
    return paths


def test_nurse_reads_the_page_and_it_is_audited(client, alice, october):
    client.force_login(alice)
    response = client.get(page_url(october))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Quimby, Harriet" in html
    assert "October 2026" in html
    assert "133/84" in html
    assert "America/Chicago" in html
    assert "I10" in html
    event = AuditEvent.objects.get(action="patient.summary.view")
    assert (event.patient, event.actor, event.detail) == (october, alice, {"month": "2026-10"})


def test_pdf_opens_with_name_and_figures(client, alice, october, screenshot_dir):
    client.force_login(alice)
    response = client.get(pdf_url(october))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    # No PHI in the file name: the patient's id and the month only.
    expected = f'attachment; filename="summary-{october.pk}-2026-10.pdf"'
    assert response["Content-Disposition"] == expected
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    for words in (
        "Quimby, Harriet",
        "October 2026",
        october.mrn,
        "110/70",
        "133/84",
        "150/95",
        "181.5",
        "99453, 99445, 99457",
        "America/Chicago",
        "Printed",
    ):
        assert words in text, words
    pngs = pdf_pages_png(response.content, "summary-october", screenshot_dir)
    assert len(pngs) == len(reader.pages)
    assert all(p.stat().st_size > 10_000 for p in pngs)  # drawn, not blank
    event = AuditEvent.objects.get(action="patient.summary.pdf")
    assert (event.patient, event.actor, event.detail) == (october, alice, {"month": "2026-10"})


def test_coordinator_and_physician_may_open_it(client, bob, petra, october):
    for person in (bob, petra):
        client.force_login(person)
        assert client.get(page_url(october)).status_code == HTTPStatus.OK


def test_another_organizations_nurse_gets_404(client, olga, october):
    client.force_login(olga)
    assert client.get(page_url(october)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(pdf_url(october)).status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.filter(action__startswith="patient.summary").exists()


def test_default_month_is_the_last_complete_one(client, alice, october):
    client.force_login(alice)
    response = client.get(f"/patients/{october.pk}/summary/")
    summary = response.context["summary"]
    today = dt.datetime.now(tz=october.tz).date()
    assert summary.month == (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert not summary.to_date


def test_current_month_is_marked_to_date(client, alice, october):
    client.force_login(alice)
    this_month = dt.datetime.now(tz=october.tz).date().replace(day=1)
    response = client.get(page_url(october, this_month))
    assert response.context["summary"].to_date
    assert "the month is not over" in response.content.decode()


@pytest.mark.parametrize("month", ["2026-13", "next", "2100-12"])
def test_a_bad_or_future_month_shows_the_default_with_a_message(client, alice, october, month):
    client.force_login(alice)
    response = client.get(f"/patients/{october.pk}/summary/?month={month}")
    assert response.status_code == HTTPStatus.OK
    assert not response.context["summary"].to_date
    assert "showing the last complete month" in response.content.decode()
    pdf = client.get(f"/patients/{october.pk}/summary.pdf?month={month}")
    assert pdf.status_code == HTTPStatus.FOUND  # back to the page, which says why


def test_pdf_with_no_data_still_renders(client, alice, patient, screenshot_dir):
    client.force_login(alice)
    response = client.get(pdf_url(patient))
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "No readings this month." in text
    assert "Not recorded" in text  # consent
    assert len(pdf_pages_png(response.content, "summary-empty", screenshot_dir)) == 1


def test_pdf_spells_out_what_its_font_cannot_draw():
    # Vera (reportlab's font, embedded) has no subscript two: SpO₂ prints as SpO2, not a box.
    pdf = summary_pdf_bytes("<html><body><p>SpO₂ 97 % ≥ 92 °F</p></body></html>")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "SpO2 97 % ≥ 92 °F" in text
