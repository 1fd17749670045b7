"""Solo's events change what staff see, end to end: the sandbox (Solo) posts its encrypted
events to the portal's webhook over real HTTP; a visit the patient left without being seen shows
so in the day's list and on the visit, and a patient deactivated in Solo shows as deactivated and
cannot be booked."""

import re

import requests
from playwright.sync_api import expect

from appointments.models import Appointment
from appointments.services import webhooks
from portal.models import Patient
from portal.sandbox import world as demo
from tests.appointments.conftest import (  # noqa: F401 (fixtures used by name)
    book,
    future_slot,
    rooms,
    solo_account,
    solo_patient,
)
from tests.conftest import wait_for


def solo_control(live_server, path: str, body: dict) -> None:
    """What Solo's own staff do in Solo's screens (the sandbox's control endpoints)."""
    response = requests.post(
        f"{live_server.url}/sandbox/solo/{path}",
        json=body,
        headers={"Api-Key": demo.SOLO_API_KEY},
        timeout=30,
    )
    response.raise_for_status()


def test_lwbs_and_deactivated_in_solo_reach_the_pages(
    signed_in_page, live_server, org, bob, request, screenshot_dir
):
    patient = request.getfixturevalue("solo_patient")
    book_visit = request.getfixturevalue("book")
    webhooks.webhook_subscription_register(organization=org, base_url=live_server.url)
    visit = book_visit(days=13, hour=11)
    solo_control(live_server, f"_appointments/{visit.solo_id}/status", {"videoCall": "LWBS"})
    wait_for(
        lambda: Appointment.objects.get(pk=visit.pk).video_call_status == "LWBS",
        timeout=20,
        message="appointment:lwbs applied",
    )
    solo_control(live_server, f"_patients/{patient.solo_spid}/active", {"active": False})
    wait_for(
        lambda: Patient.objects.get(pk=patient.pk).solo_deactivated_at is not None,
        timeout=20,
        message="patient:deactivated applied",
    )

    page = signed_in_page(bob)
    day = future_slot(13).astimezone(patient.tz).date()
    page.goto(f"{live_server.url}/appointments/?range=week&day={day.isoformat()}")
    row = page.get_by_role("row", name=re.compile("Quimby, Harriet"))
    expect(row).to_contain_text("Left without being seen")
    expect(row).to_contain_text("Deactivated in Solo")
    page.screenshot(path=f"{screenshot_dir}/solo-events-list-week.png", full_page=True)

    row.get_by_role("link", name="Open visit").click()
    expect(page.locator("#video-call-status")).to_contain_text("left without being seen")
    page.screenshot(path=f"{screenshot_dir}/solo-events-visit-lwbs.png", full_page=True)

    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    visits = page.locator("#visits")
    expect(visits).to_contain_text("Deactivated in Solo since")
    expect(visits.get_by_role("link", name="Book a visit")).to_have_count(0)
    visits.screenshot(path=f"{screenshot_dir}/solo-events-patient-panel.png")

    page.goto(f"{live_server.url}/appointments/schedule/{patient.pk}/")
    expect(page.get_by_role("alert").first).to_contain_text("is deactivated in Solo")
    page.get_by_label("Waiting room").select_option(label="Nurse Triage")
    page.get_by_label("Day").fill(day.isoformat())
    page.get_by_role("button", name="Show free times").click()
    expect(
        page.get_by_text("Booking is closed while the patient is deactivated in Solo.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Book visit")).to_have_count(0)
    page.screenshot(path=f"{screenshot_dir}/solo-events-schedule-refused.png", full_page=True)
