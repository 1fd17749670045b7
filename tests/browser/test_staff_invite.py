"""An organization admin invites a nurse from the Staff page; the email arrives at the local
SMTP server; the nurse opens its link in a fresh browser (no shared cookies), signs up, lands
on the roster, signs out and signs in again with the password she chose."""

import os
import re

from playwright.sync_api import expect

from portal.models import Membership, Role
from tests.portal.staff_helpers import LINK

ADDRESS = "nina.novak@example.org"
PASSWORD = "plum tree lantern 42"
SHOTS = os.environ.get("SHOTS_DIR", "")
WIDTHS = (1440, 390)


def _shots(page, screenshot_dir, name):
    """Full-page screenshots at a desktop and a phone width; the page must not scroll sideways."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        for folder in filter(None, (screenshot_dir, SHOTS)):
            page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_admin_invites_a_nurse_who_signs_up_and_signs_in(
    signed_in_page, live_server, browser, ada, alice, org, smtp_server, settings, screenshot_dir
):
    settings.PORTAL_BASE_URL = live_server.url
    page = signed_in_page(ada)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_visible()
    expect(page.get_by_text("No invitations waiting.")).to_be_visible()

    page.get_by_role("link", name="Invite staff").click()
    page.get_by_label("Email address").fill(ADDRESS)
    page.get_by_label("Role").select_option(label="Nurse")
    _shots(page, screenshot_dir, "staff-invite")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text(f"Invitation sent to {ADDRESS}.")).to_be_visible()
    invitations = page.get_by_role("region", name=re.compile("Invitations waiting"))
    expect(invitations.get_by_role("row", name=re.compile(re.escape(ADDRESS)))).to_be_visible()
    _shots(page, screenshot_dir, "staff")

    message = smtp_server.wait_for_message(to=ADDRESS, timeout=30)
    assert message.subject == "Join Riverside Heart on Vitals Portal"
    link = LINK.search(message.body)
    assert link, message.body
    assert link[0].startswith(f"{live_server.url}/staff/join/")

    nurse_context = browser.new_context(viewport={"width": 1366, "height": 900})
    nurse = nurse_context.new_page()
    nurse.goto(link[0])
    expect(nurse.get_by_role("heading", name="Join Riverside Heart")).to_be_visible()
    expect(nurse).to_have_url(f"{live_server.url}/staff/join/")  # the token left the address
    nurse.get_by_label("First name").fill("Nina")
    nurse.get_by_label("Last name").fill("Novak")
    nurse.get_by_label("Username").fill("nina")
    nurse.get_by_label("Password", exact=True).fill(PASSWORD)
    nurse.get_by_label("Password again").fill(PASSWORD)
    _shots(nurse, screenshot_dir, "staff-join")
    nurse.get_by_role("button", name="Create my account").click()
    welcome = "Welcome, Nina. You are signed in to Riverside Heart."
    expect(nurse.get_by_text(welcome)).to_be_visible()
    expect(nurse.get_by_role("heading", name="Today's roster")).to_be_visible()

    nurse.get_by_role("button", name="Sign out").click()
    nurse.get_by_label("Username").fill("nina")
    nurse.get_by_label("Password").fill(PASSWORD)
    nurse.get_by_role("button", name="Sign in").click()
    expect(nurse.get_by_role("heading", name="Today's roster")).to_be_visible()
    expect(nurse.get_by_text("Nina Novak · Nurse")).to_be_visible()
    assert Membership.objects.get(user__username="nina").role == Role.NURSE

    nurse.get_by_role("button", name="Sign out").click()
    nurse.goto(link[0])  # the link works once
    expect(nurse.get_by_role("heading", name="This link was already used")).to_be_visible()
    _shots(nurse, screenshot_dir, "staff-join-used")
    nurse_context.close()

    page.reload()
    members = page.get_by_role("region", name=re.compile("Members"))
    row = members.get_by_role("row", name=re.compile("Nina Novak"))
    expect(row).to_contain_text(ADDRESS)
    expect(page.get_by_text("No invitations waiting.")).to_be_visible()
    row.get_by_role("link", name="Change Nina Novak").click()
    expect(page.get_by_role("heading", name="Nina Novak")).to_be_visible()
    _shots(page, screenshot_dir, "staff-member")
