"""Who bills what, as staff see it: the time log form with its contact fields, and a month's
billing report where a coordinator's and an unnamed key's time are shown as not billable, a
completed Solo visit is the contact, and a physician's interpretation bills 99091 for the
30-day period that ends in the month. Screenshots go to test-artifacts/screenshots/."""

import datetime as dt
import re

from playwright.sync_api import expect

from appointments.models import Appointment, AppointmentStatus
from portal.staff_services import organization_tz
from readings.care import services
from tests import factories
from tests.factories import PatientFactory, entry


def test_billing_report_says_who_bills_what(
    signed_in_page, live_server, org, alice, bob, petra, screenshot_dir
):
    # The organization's today: in the first hours of a UTC month, the UTC month has not
    # begun where the patients live, and a time entry on its first day would be in the future.
    today = dt.datetime.now(tz=organization_tz(org)).date()
    # The month whose 30-day period (from the 2nd day before it) has ended by today: this one
    # from its 3rd day on, on its 1st and 2nd days the one before.
    month = today.replace(day=1)
    if today.day <= 2:
        month = (month - dt.timedelta(days=1)).replace(day=1)
    # The period that ends this month started 29 days before its last day, in the month before.
    start = month + dt.timedelta(days=1) - dt.timedelta(days=29)
    reviewed = PatientFactory(
        organization=org, last_name="Interpreted", first_name="Iris", monitoring_started_on=start
    )
    entry(reviewed, petra, minutes=20, activity="interpretation", day=start + dt.timedelta(days=3))
    entry(reviewed, petra, seconds=730, activity="interpretation", day=month)
    called = PatientFactory(organization=org, last_name="Called", first_name="Carl")
    entry(called, alice, minutes=12, interactive=True, day=month)
    entry(called, alice, seconds=520, day=month)  # 8 min 40 s: 20 min 40 s, so 20 minutes
    entry(called, bob, minutes=10, day=today)  # a coordinator: kept, not billable (shown below)
    key, _ = factories.api_key(org)
    services.time_entry_create(patient=called, api_key=key, day=month, seconds=300)
    visited = PatientFactory(organization=org, last_name="Visited", first_name="Vera")
    Appointment.objects.create(
        organization=org,
        patient=visited,
        solo_id=880001,
        starts_at=dt.datetime.combine(month, dt.time(15), tzinfo=dt.UTC),
        status=AppointmentStatus.COMPLETED,
    )
    entry(visited, alice, minutes=11, day=month)

    page = signed_in_page(alice)
    page.goto(f"{live_server.url}/patients/{called.pk}/")
    form = page.locator(".care-entry-form")
    page.get_by_label("Minutes", exact=True).fill("6")
    page.get_by_label("Seconds", exact=True).fill("50")
    page.get_by_label("Activity", exact=True).select_option("call")
    page.locator("#time-contact_medium").select_option("video")
    page.locator("#time-contact_with").select_option("caregiver")
    page.locator("#care").screenshot(path=f"{screenshot_dir}/care-time-log-form.png")
    form.get_by_role("button", name="Log time").click()
    expect(page.get_by_text("Logged 6 min 50 s.")).to_be_visible()
    expect(page.locator(".care-entries")).to_contain_text("Not billable: not clinical staff")

    page.goto(f"{live_server.url}/billing/?month={month:%Y-%m}")
    expect(page.get_by_role("heading", name=re.compile("RPM billing"))).to_be_visible()
    rows = page.locator("table.care-billing tbody tr")
    expect(rows.filter(has_text="Called, Carl").locator(".care-codes")).to_contain_text("99457")
    expect(rows.filter(has_text="Visited, Vera").locator(".care-codes")).to_contain_text("99470")
    expect(rows.filter(has_text="Interpreted, Iris").locator(".care-codes")).to_contain_text(
        "99091"
    )
    for summary in page.locator("table.care-billing summary").all():
        summary.click()
    expect(rows.filter(has_text="Called, Carl")).to_contain_text("nobody named")
    page.screenshot(path=f"{screenshot_dir}/care-billing-who-bills.png", full_page=True)
