"""A nurse finds a device, assigns it to a patient, sees it on the patient page, replaces it."""

import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from portal.sandbox import world as demo


@pytest.fixture
def demo_world(live_server, sandbox, transactional_db):
    with open(os.devnull, "w") as quiet:
        call_command("load_demo_data", base_url=live_server.url, stdout=quiet)
    return get_user_model().objects.get(username="nurse")


def test_nurse_assigns_then_replaces_a_device(
    signed_in_page, live_server, demo_world, screenshot_dir
):
    page = signed_in_page(demo_world, "demo-nurse-pass")
    page.goto(f"{live_server.url}/devices/")
    expect(page.get_by_role("heading", name="Devices")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/devices-inventory.png", full_page=False)

    # Find the cuff on the shelf (HTMX search, no reload).
    page.get_by_label("Serial number or IMEI").fill("S700")
    expect(page.get_by_text("1 device", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=S700"))
    page.get_by_role("link", name="BT105-S700").click()
    expect(page.get_by_role("heading", name=re.compile("BT105-S700"))).to_be_visible()

    # Assign it to Robert Thomas from the device page's dialog.
    page.get_by_role("button", name="Assign to patient…").click()
    dialog = page.locator("#assign-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Find the patient").fill("Thomas")
    dialog.get_by_text("Thomas, Robert").click()
    page.screenshot(path=f"{screenshot_dir}/devices-assign-dialog.png")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_text("BT105-S700 is now assigned to Thomas, Robert.")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/devices-detail.png", full_page=True)

    # The patient page shows it.
    page.locator(".device-facts").get_by_role("link", name="Thomas, Robert").click()
    panel = page.locator("#devices-panel")
    expect(panel.get_by_role("link", name="BT105-S700")).to_be_visible()
    page.get_by_role("button", name="Assign a device…").click()
    patient_dialog = page.locator("#patient-assign-dialog")
    patient_dialog.get_by_label("Find the device by serial number").fill("BT105-W90")
    expect(
        patient_dialog.get_by_text(re.compile("Cannot be assigned: The device must be")).first
    ).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/devices-patient-assign-dialog.png")
    patient_dialog.get_by_role("button", name="Cancel").click()
    page.screenshot(path=f"{screenshot_dir}/devices-patient-panel.png", full_page=True)

    # Replace it: the cuff does not switch on.
    panel.get_by_role("link", name="BT105-S700").click()
    page.get_by_role("button", name="Replace…").click()
    replace = page.locator("#replace-dialog")
    replace.get_by_label("Replacement device").select_option(
        label="BT105-S702 · BodyTrace BT105 Blood Pressure Monitor · Riverside Main Clinic"
    )
    replace.get_by_label("What is wrong with the old device?").fill("Does not switch on")
    page.screenshot(path=f"{screenshot_dir}/devices-replace-dialog.png")
    replace.get_by_role("button", name="Replace device").click()
    expect(
        page.get_by_text("BT105-S700 is replaced by BT105-S702; the old one goes back to Impilo.")
    ).to_be_visible()
    expect(page.locator(".device-head").get_by_text("Returned to Impilo")).to_be_visible()
    page.goto(f"{live_server.url}/devices/?q=S702")
    expect(page.get_by_role("link", name="Thomas, Robert")).to_be_visible()


def test_smart_meter_imei_is_checked_while_typing(signed_in_page, live_server, demo_world):
    from portal.models import Patient

    patient = Patient.objects.get(mrn=demo.demo_patients()[2].mrn)
    page = signed_in_page(demo_world, "demo-nurse-pass")
    page.goto(f"{live_server.url}/patients/{patient.pk}/")
    page.get_by_label("IMEI").fill("123453782873223")  # seed 004's example: bad check digit
    expect(page.get_by_text("This IMEI's last digit does not match the others")).to_be_visible()
    imei = demo._imei(3131)
    page.get_by_label("IMEI").fill(imei)
    page.get_by_label("Device", exact=True).select_option("blood_pressure")
    page.get_by_role("button", name="Connect Smart Meter").click()
    expect(page.get_by_text(f"Smart Meter {imei} is connected.")).to_be_visible()
    expect(page.locator(".smart-meters").get_by_text(imei)).to_be_visible()


def test_admin_syncs_the_inventory(signed_in_page, live_server, demo_world, screenshot_dir):
    admin = get_user_model().objects.get(username="admin")
    page = signed_in_page(admin, "demo-admin-pass")
    page.goto(f"{live_server.url}/devices/")
    # The demo load filled the inventory through this same sync: the page shows that run.
    expect(page.get_by_text(re.compile(r"\d+ new, 0 changed, 0 unchanged"))).to_be_visible()
    page.get_by_role("button", name="Sync now").click()
    # Celery is eager in tests: the whole sync (~110 sandbox calls) runs inside the click.
    expect(page.get_by_text(re.compile(r"\b0 new, 0 changed, \d+ unchanged"))).to_be_visible(
        timeout=60_000
    )
    page.screenshot(path=f"{screenshot_dir}/devices-inventory-admin-synced.png")
