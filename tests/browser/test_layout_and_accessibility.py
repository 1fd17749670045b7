"""Every main staff page at a desk (1440 px) and on a phone (390 px): the page never scrolls
sideways, and axe-core finds no serious or critical accessibility problem; then the phone menu
and a printed chart (issue 18, defects 5 and 9).

One test, one browser context per viewport (bypass_csp lets the vendored axe-core in), pages in
a loop: alice (nurse) walks every page, ada (organization admin) the pages only an admin sees
and two that differ for her. Full-page screenshots only when $SHOTS_DIR is set (they cost more
than the checks): `SHOTS_DIR=/tmp/shots pytest tests/browser/test_layout_and_accessibility.py`."""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser.a11y import assert_fits_viewport, assert_no_serious_axe_violations
from tests.conftest import password_sign_in
from tests.factories import AssignedDeviceFactory, entry, evaluated, reading
from tests.factories.world import route_world

WIDTHS = (1440, 390)

# (name, path built from the world, who visits: "nurse" alice, "admin" ada)
PAGES = [
    ("roster", lambda w: "/roster/", "nurse admin"),
    ("patients", lambda w: "/patients/", "nurse"),
    ("patient", lambda w: f"/patients/{w['patient'].pk}/", "nurse admin"),
    ("chart", lambda w: f"/readings/patients/{w['patient'].pk}/", "nurse"),
    ("reading-table", lambda w: f"/readings/patients/{w['patient'].pk}/table/", "nurse"),
    ("readings", lambda w: "/readings/", "nurse"),
    ("thresholds", lambda w: f"/patients/{w['patient'].pk}/thresholds/", "nurse"),
    ("alerts", lambda w: "/alerts/", "nurse"),
    ("alert", lambda w: f"/alerts/{w['alert'].pk}/", "nurse"),
    ("worklists", lambda w: "/worklists/", "nurse"),
    ("worklist", lambda w: "/worklists/contact/", "nurse"),
    ("time-entry", lambda w: f"/time/{w['time_entry'].pk}/", "nurse"),
    ("billing", lambda w: "/billing/", "nurse"),
    (
        "billing-evidence",
        lambda w: f"/billing/signed/{w['signature'].pk}/patients/{w['patient'].pk}/",
        "nurse",
    ),
    ("devices", lambda w: "/devices/", "nurse"),
    ("device", lambda w: f"/devices/{w['device'].pk}/", "nurse"),
    ("visits-day", lambda w: "/appointments/", "nurse"),
    ("visits-week", lambda w: "/appointments/?range=week", "nurse"),
    ("visit", lambda w: f"/appointments/{w['appointment'].pk}/", "nurse"),
    ("booking", lambda w: f"/appointments/schedule/{w['patient'].pk}/", "nurse"),
    ("episode", lambda w: f"/appointments/episodes/{w['episode'].pk}/", "nurse"),
    ("consults", lambda w: "/appointments/consults/", "nurse"),
    ("solo-reports", lambda w: "/appointments/reports/", "admin"),
    ("protocol", lambda w: "/protocol/", "nurse"),
    ("program-report", lambda w: "/reports/program/", "nurse"),
    ("security", lambda w: "/accounts/security/", "nurse"),
    ("authenticator-setup", lambda w: "/accounts/security/app/", "nurse"),
    ("password", lambda w: "/accounts/password/", "nurse"),
    ("organization-security", lambda w: "/organization/security/", "admin"),
]


def _shot(page, name):
    if os.environ.get("SHOTS_DIR"):
        page.screenshot(path=f"{os.environ['SHOTS_DIR']}/{name}.png", full_page=True)


def _settled(page):
    """Wait for what htmx and the charts add after the load event: the worklist menu in the
    navigation, requests in flight, a chart's canvas."""
    page.wait_for_function(
        """() => !document.querySelector('.htmx-request')
          && (!document.querySelector('.mainnav') || document.querySelector('.mainnav .navmenu'))
          && [...document.querySelectorAll('[data-chart]')].every(c => c.querySelector('canvas'))"""
    )


@pytest.fixture
def world(org, alice, ada, patient, vendor_accounts):
    """alice's patient with a month of blood pressure, a device, time and open alerts, and one of
    everything else the route walker needs."""
    now = timezone.now()
    patient.primary_nurse = alice
    patient.save()
    AssignedDeviceFactory(organization=org, assigned_patient=patient, identifier="BT105-0311")
    for day in range(1, 20):
        at = now - dt.timedelta(days=day, hours=3)
        reading(patient, "systolic", 130 + day % 9, at=at)
        reading(patient, "diastolic", 80 + day % 5, at=at)
    evaluated(patient, "systolic", 188, at=now - dt.timedelta(minutes=30))
    entry(patient, alice, minutes=14, interactive=True)
    return {"patient": patient, **route_world(org, patient)}


def _walk(page, base_url, world, who, width):
    for name, path, visitors in PAGES:
        if who not in visitors.split():
            continue
        response = page.goto(base_url + path(world))
        assert response.status == 200, f"{name}: {response.status}"
        _settled(page)
        label = f"{name} as {who} at {width} px"
        assert_fits_viewport(page, label)
        assert_no_serious_axe_violations(page, label)
        _shot(page, f"layout-{who}-{name}-{width}")


@pytest.mark.heavy
def test_every_page_fits_a_phone_and_passes_axe_and_a_chart_prints(
    browser, live_server, transactional_db, world, alice, ada, bob
):
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        assert_fits_viewport(page, f"sign-in at {width} px")
        assert_no_serious_axe_violations(page, f"sign-in at {width} px")
        _shot(page, f"layout-login-{width}")
        for who, user in (("nurse", alice), ("admin", ada)):
            context.clear_cookies()
            password_sign_in(page, live_server.url)(user)
            _walk(page, live_server.url, world, who, width)
        # the second step of signing in (bob has an authenticator app)
        context.clear_cookies()
        password_sign_in(page, live_server.url)(bob)
        expect(page).to_have_url(re.compile(r"/accounts/verify/"))
        assert_fits_viewport(page, f"second step at {width} px")
        assert_no_serious_axe_violations(page, f"second step at {width} px")
        _shot(page, f"layout-verify-{width}")
        if width == WIDTHS[-1]:
            context.clear_cookies()
            password_sign_in(page, live_server.url)(alice)
            _phone_menu_and_printed_chart(page, live_server.url, world["patient"])
        context.close()


def _phone_menu_and_printed_chart(page, base_url, patient):
    page.goto(f"{base_url}/readings/patients/{patient.pk}/")
    _settled(page)

    # on a phone the navigation is one Menu button that opens the whole menu
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    expect(nav.get_by_role("link", name="Billing")).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    billing = nav.get_by_role("link", name="Billing")
    expect(billing).to_be_visible()
    assert billing.bounding_box()["height"] >= 44  # a tap target
    _shot(page, "layout-phone-menu-390")
    page.keyboard.press("Escape")
    expect(billing).to_be_hidden()

    # on paper: the chart and its heading, the patient, range and printed-at time on top, in
    # black and white; no navigation, buttons, forms or notices
    page.set_viewport_size({"width": 680, "height": 1000})  # Letter paper, less margins
    page.emulate_media(media="print")
    header = page.locator(".print-header")
    expect(header).to_be_visible()
    expect(header).to_contain_text(patient.display_name)
    date = r"\w{3} \d+, \d{4}"
    expect(header).to_contain_text(re.compile(rf"Last 30 days \({date} to {date}\)"))
    expect(header).to_contain_text("Printed")
    for hidden in (".topbar", ".mainnav", ".breadcrumbs", "#live-notices", ".chart-controls"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.get_by_role("button").filter(visible=True)).to_have_count(0)
    expect(page.locator("input, select, textarea").filter(visible=True)).to_have_count(0)
    expect(page.locator("[data-chart] canvas").first).to_be_visible()
    colours = page.evaluate(
        "[...document.querySelectorAll('.pill')].map(p => getComputedStyle(p).backgroundColor)"
    )
    assert colours
    assert set(colours) == {"rgb(255, 255, 255)"}
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 680
    _shot(page, "layout-print-chart")
