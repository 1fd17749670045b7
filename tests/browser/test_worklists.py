"""A nurse works the "needs an interactive contact" worklist: the counts in the navigation and
on the list change as she logs a call from the row. Screenshots of the worklist, its menu in
the navigation and the monthly program report go to test-artifacts/screenshots/ (and to
$SHOTS_DIR when set)."""

import datetime as dt
import os
import re

from django.utils import timezone
from playwright.sync_api import expect

from readings.models import Alert, AlertStatus
from tests.factories import AssignedDeviceFactory, PatientFactory, entry, evaluated


def _shot(page_or_locator, screenshot_dir, name, **kwargs):
    page_or_locator.screenshot(path=f"{screenshot_dir}/{name}", **kwargs)
    extra = os.environ.get("SHOTS_DIR")
    if extra:
        page_or_locator.screenshot(path=f"{extra}/{name}", **kwargs)


def test_worklist_counts_change_as_a_call_is_logged(
    signed_in_page, live_server, org, alice, petra, screenshot_dir
):
    now = timezone.now()
    quimby = PatientFactory(
        organization=org, last_name="Quimby", first_name="Harriet", phone="555-0142"
    )
    entry(quimby, alice, minutes=12)
    PatientFactory(organization=org, last_name="Earhart", first_name="Amelia", phone="555-0199")
    coleman = PatientFactory(organization=org, last_name="Coleman", first_name="Bessie")
    entry(coleman, alice, minutes=4, interactive=True)
    AssignedDeviceFactory(organization=org, assigned_patient=coleman, identifier="BP-7781")
    evaluated(coleman, "systolic", 192, at=now - dt.timedelta(minutes=50))
    Alert.objects.filter(patient=coleman).update(created_at=now - dt.timedelta(minutes=40))
    resolved = PatientFactory(organization=org, last_name="Resolved", is_active=False)
    evaluated(resolved, "systolic", 185, at=now - dt.timedelta(hours=3))
    Alert.objects.filter(patient=resolved).update(
        created_at=now - dt.timedelta(hours=3),
        acknowledged_at=now - dt.timedelta(hours=2, minutes=52),
        resolved_at=now - dt.timedelta(hours=2),
        resolved_by=petra,
        status=AlertStatus.RESOLVED,
        outcome="contacted",
    )

    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/worklists/contact/")
    tab = page.locator('.worklist-tabs [data-count="contact"]')
    expect(tab).to_have_text("2")
    menu = page.locator(".mainnav .navmenu")
    expect(menu.locator('a[data-worklist="contact"] [data-count]')).to_have_text("2")
    rows = page.locator("table.worklist tbody tr")
    expect(rows).to_have_count(2)
    row = rows.filter(has_text="Quimby, Harriet")
    expect(row).to_contain_text("a contact would bill 99470")
    row.get_by_text("Log outreach").click()
    row.get_by_role("radio", name="Reached").check()
    row.get_by_role("spinbutton", name=re.compile("Call minutes")).fill("9")
    row.get_by_label("Note").fill("reviewed BP log, advised on salt")
    _shot(page, screenshot_dir, "worklist-contact.png", full_page=True)
    row.get_by_role("button", name="Save attempt").click()

    expect(
        page.get_by_text(re.compile("Logged “Reached” for Quimby, Harriet and 9 min"))
    ).to_be_visible()
    expect(tab).to_have_text("1")
    expect(menu.locator('a[data-worklist="contact"] [data-count]')).to_have_text("1")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Earhart, Amelia")
    menu.locator("summary").click()
    expect(menu.locator('a[data-worklist="unclaimed-alerts"] [data-count]')).to_have_text("1")
    _shot(
        page,
        screenshot_dir,
        "worklist-nav-menu.png",
        clip={"x": 0, "y": 0, "width": 1366, "height": 460},
    )

    page.goto(f"{live_server.url}/worklists/unclaimed-alerts/")
    expect(page.locator("table.worklist tbody tr")).to_contain_text("Coleman, Bessie")
    _shot(page, screenshot_dir, "worklist-unclaimed.png", full_page=True)

    page.goto(f"{live_server.url}/patients/{quimby.pk}/")
    outreach = page.locator("#outreach")
    expect(outreach).to_contain_text("Reached")
    expect(outreach).to_contain_text("9 min logged")

    page.goto(f"{live_server.url}/reports/program/")
    expect(page.get_by_role("heading", name=re.compile("Program report"))).to_be_visible()
    expect(page.locator("[data-report-chart] canvas")).to_have_count(3)
    _shot(page, screenshot_dir, "program-report.png", full_page=True)
