"""Two nurses on the alert queue in two browsers: one claims a critical alert, the other (whose
page was loaded before) is refused naming her and then sees it claimed; resolving the critical
alert without an outcome is refused with a message and the note kept. Screenshots of the
queue's views and the alert page go to test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from portal.models import Role
from readings.care import services
from readings.models import Alert, AlertOutcome
from readings.units import Metric
from tests.care.alert_cast import make_alert
from tests.conftest import password_sign_in
from tests.factories import PatientFactory, evaluated, staff

pytestmark = pytest.mark.browser


@pytest.fixture
def queue(org, alice, petra, patient):
    """Harriet Quimby's critical alert, and a morning's queue around it."""
    now = timezone.now()
    for minutes in (50, 35, 20):
        evaluated(
            patient, Metric.SYSTOLIC, 186 + minutes // 10, at=now - dt.timedelta(minutes=minutes)
        )
    people = [
        PatientFactory(organization=org, last_name=last, first_name=first)
        for last, first in [("Okonkwo", "Grace"), ("Tanaka", "Hiro"), ("Moreau", "Celine")]
    ]
    make_alert(people[0], "warning", hours=3, text="Heart rate at or above 110 /min")
    make_alert(people[1], "information", hours=6, text="No readings for 2 days")
    acknowledged = make_alert(people[2], "warning", hours=8, text="Weight gain of 3 lb in 1 day")
    services.alert_acknowledge(alert=acknowledged, by=petra, note="Diuretic adjusted")
    done = make_alert(people[1], "warning", hours=26, text="SpO2 at or below 90 %")
    services.alert_resolve(alert=done, by=alice, outcome=AlertOutcome.MEASUREMENT_ERROR)
    return Alert.objects.get(patient=patient)


@pytest.fixture
def signed_in(browser, browser_context_args, live_server):
    """signed_in(user) → a page in a browser context of its own (a second nurse's browser)."""
    contexts = []

    def sign_in(user):
        contexts.append(browser.new_context(**browser_context_args))
        page = contexts[-1].new_page()
        password_sign_in(page, live_server.url)(user)
        return page

    yield sign_in
    for context in contexts:
        context.close()


def test_two_nurses_one_claims_the_other_sees_it(
    signed_in, live_server, transactional_db, org, alice, queue, screenshot_dir
):
    nina = staff(org, Role.NURSE, username="nina", first_name="Nina", last_name="Novak")
    alice_page = signed_in(alice)
    nina_page = signed_in(nina)

    # Both open the queue: the critical alert is new and unclaimed for both.
    for page in (alice_page, nina_page):
        page.goto(f"{live_server.url}/alerts/")
        expect(page.get_by_role("heading", name="Alert queue")).to_be_visible()
    row = alice_page.locator("#alert-results tbody tr", has_text="Quimby, Harriet")
    expect(row).to_contain_text("Unclaimed")
    expect(row.get_by_role("checkbox")).to_have_count(0)  # critical: no bulk checkbox
    alice_page.screenshot(path=f"{screenshot_dir}/alerts-new.png", full_page=True)

    # The queue refreshes itself: a ticked box and a note being typed survive the refresh.
    warning_box = alice_page.get_by_role("checkbox", name=re.compile("Okonkwo, Grace"))
    warning_box.check()
    alice_page.get_by_label("Note for every chosen alert").fill("Cuff swapped")
    alice_page.evaluate(
        "document.querySelector('#alert-results').dataset.old = 'yes';"
        "htmx.ajax('GET', '/alerts/?view=new', {target: '#alert-results', swap: 'outerHTML'})"
    )
    expect(alice_page.locator("#alert-results")).not_to_have_attribute("data-old", "yes")
    expect(warning_box).to_be_checked()
    expect(alice_page.get_by_label("Note for every chosen alert")).to_have_value("Cuff swapped")
    warning_box.uncheck()

    row.get_by_role("button", name="Claim").click()  # HTMX: the row is swapped in place
    expect(row.locator(".alert-holder")).to_contain_text("You")

    # Nina's page is from before: her claim is refused, naming Alice.
    nina_row = nina_page.locator("#alert-results tbody tr", has_text="Quimby, Harriet")
    nina_row.get_by_role("button", name="Claim").click()
    expect(nina_row).to_contain_text("Alice Staff holds this alert.")
    expect(nina_row.get_by_role("button", name="Claim")).to_have_count(0)
    nina_page.screenshot(path=f"{screenshot_dir}/alerts-claim-refused.png", full_page=True)
    nina_page.reload()
    expect(
        nina_page.locator("#alert-results tbody tr", has_text="Quimby, Harriet")
    ).to_contain_text("Alice Staff")
    nina_page.get_by_role("link", name=re.compile("^Unclaimed")).click()
    expect(nina_page).to_have_url(re.compile(r"view=unclaimed"))
    expect(nina_page.get_by_text("Quimby, Harriet")).to_have_count(0)
    nina_page.screenshot(path=f"{screenshot_dir}/alerts-unclaimed.png", full_page=True)

    # Nina opens the alert: held by Alice; she may add a note or take it over, not resolve.
    nina_page.goto(f"{live_server.url}/alerts/{queue.pk}/")
    expect(nina_page.locator("#alert-holder")).to_contain_text("Held by Alice Staff")
    expect(nina_page.get_by_role("button", name="Take over from Alice Staff")).to_be_visible()
    expect(nina_page.get_by_role("button", name="Resolve")).to_have_count(0)

    # Alice resolves without an outcome: refused with a message, her note kept.
    alice_page.get_by_role("link", name=re.compile("^Mine")).click()
    expect(alice_page.locator(".alert-tabs [aria-current=page]")).to_contain_text("Mine 1")
    alice_page.screenshot(path=f"{screenshot_dir}/alerts-mine.png", full_page=True)
    alice_page.get_by_role("link", name="Triage").first.click()
    alice_page.get_by_label("Note").fill("Called Harriet: missed her dose, took it now.")
    alice_page.get_by_role("button", name="Resolve").click()
    expect(
        alice_page.get_by_text("Choose an outcome: a critical alert is resolved with one.").first
    ).to_be_visible()
    expect(alice_page.get_by_label("Note")).to_have_value(
        "Called Harriet: missed her dose, took it now."
    )
    alice_page.screenshot(path=f"{screenshot_dir}/alert-resolve-refused.png", full_page=True)
    alice_page.get_by_label("Outcome (to resolve)").select_option("contacted")
    alice_page.get_by_role("button", name="Resolve").click()
    expect(alice_page.get_by_text("Alert resolved.")).to_be_visible()
    expect(alice_page.get_by_text("Patient contacted and advised")).to_be_visible()
    alice_page.screenshot(path=f"{screenshot_dir}/alert-resolved.png", full_page=True)

    for view in ("acknowledged", "resolved"):
        alice_page.goto(f"{live_server.url}/alerts/?view={view}")
        expect(alice_page.locator(".alert-tabs [aria-current=page]")).to_be_visible()
        alice_page.screenshot(path=f"{screenshot_dir}/alerts-{view}.png", full_page=True)
