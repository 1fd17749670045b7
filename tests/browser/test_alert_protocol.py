"""An admin sets the alert protocol in the portal (a rota line, the escalation path, why); a
critical reading then shows the on-call nurse a notice on whatever page she has open, which
takes her to the alert and its notification log. Screenshots of both pages."""

import re

from playwright.sync_api import expect

from readings.models import Alert
from tests.factories import evaluated


def test_admin_sets_the_protocol_and_the_nurse_on_call_gets_the_notice(
    signed_in_page, live_server, ada, alice, petra, patient, screenshot_dir
):
    alice.email = "alice@clinic.example"
    alice.save(update_fields=["email"])
    page = signed_in_page(ada)
    page.goto(f"{live_server.url}/protocol/")
    expect(page.get_by_text("No alert protocol yet")).to_be_visible()
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        page.get_by_role("group", name="Days of line 1").get_by_label(day).check()
    page.get_by_label("From, line 1").select_option("0")
    page.get_by_label("To, line 1").select_option("24")
    page.get_by_label("On call, line 1").select_option(label="Alice Staff (Nurse)")
    page.get_by_label("Escalate to, first").select_option(label="Petra Staff (Physician / QHP)")
    page.get_by_label("A critical alert may stay unacknowledged for (minutes)").fill("10")
    page.get_by_label("Quiet hours from").fill("22:00")
    page.get_by_label("Quiet hours until").fill("07:00")
    page.get_by_label("Why this change").fill("Alice covers the ward this week; Petra backs up")
    page.get_by_role("button", name="Save the protocol").click()
    expect(page.get_by_text("Alert protocol saved.")).to_be_visible()
    expect(page.get_by_text("On call now")).to_be_visible()
    page.screenshot(path=f"{screenshot_dir}/care-alert-protocol.png", full_page=True)

    evaluated(patient, "systolic", 194)  # committed: the protocol notifies Alice
    alert = Alert.objects.get(patient=patient)
    page.context.clear_cookies()
    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/patients/")
    notice = page.locator("#live-notices .live-notice--critical")
    expect(notice).to_contain_text("An alert needs you")
    expect(notice).to_contain_text("Systolic BP at or above 180 mmHg")
    page.screenshot(path=f"{screenshot_dir}/care-live-notice.png", full_page=False)

    notice.get_by_role("button", name="Open alert").click()
    expect(page).to_have_url(re.compile(rf"/alerts/{alert.pk}/$"))
    log = page.locator(".notice-log")
    expect(log).to_contain_text("Portal notice")
    expect(log).to_contain_text("alice@clinic.example")
    expect(page.locator("#live-notices .live-notice")).to_have_count(0)
    page.screenshot(path=f"{screenshot_dir}/care-alert-notifications.png", full_page=True)
