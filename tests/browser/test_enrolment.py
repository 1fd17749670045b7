"""A coordinator enrols a patient with two diagnoses and consent, then assigns a device from
the patient page (issue 18, "Must show"); the pages at 1440 and 390 px, no sideways scroll."""

import os
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portal.models import Patient

SHOTS = "/work/shots/enrol"


@pytest.fixture
def demo_world(live_server, sandbox, transactional_db):
    with open(os.devnull, "w") as quiet:
        call_command("load_demo_data", base_url=live_server.url, stdout=quiet)


def shoot(page, name, shot_dir, *, part=None):
    """Screenshots at 1440 and 390 px wide. At 390 px the page must not scroll sideways, or,
    with `part` (the patient page, whose other panels are not this story's), that part must
    not overflow its own box."""
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{shot_dir}/{name}-{width}.png", full_page=True)
        if part is None:
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        else:
            overflow = page.locator(part).evaluate("e => e.scrollWidth - e.clientWidth")
        assert overflow <= 0, f"{name} overflows by {overflow}px at {width}px"
    page.set_viewport_size({"width": 1440, "height": 900})


def test_coordinator_enrols_a_patient_and_assigns_a_device(
    demo_world, bob, signed_in_page, live_server, screenshot_dir
):
    shot_dir = SHOTS if os.path.isdir(os.path.dirname(SHOTS)) else screenshot_dir
    os.makedirs(shot_dir, exist_ok=True)
    page = signed_in_page(bob)
    page.goto(f"{live_server.url}/patients/")
    page.get_by_role("link", name="Enrol a patient").click()
    expect(page.get_by_role("heading", name="Enrol a patient")).to_be_visible()
    main = page.locator("main")  # the form, not the search box every page carries

    main.get_by_label("First name").fill("Nora")
    main.get_by_label("Last name").fill("Quint")
    main.get_by_label("Birth date").fill("1951-04-12")
    main.get_by_label("Sex").select_option("female")
    main.get_by_label("MRN").fill("RHV-300001")  # Impilo knows her from the clinic's order
    main.get_by_label("Phone").fill("+1-555-0199")
    main.get_by_label("Time zone").select_option("America/Chicago")
    main.get_by_label("Program").select_option(label="Heart failure")
    main.get_by_label("Ordering physician").select_option(label="Priya Raman")
    main.get_by_label("Primary nurse").select_option(label="Nina Okafor")

    # Two diagnoses: one by code, one by words.
    search = main.get_by_label("Find a diagnosis")
    search.fill("I50.22")
    page.get_by_role("button", name="Add I50.22").click()
    chosen = page.locator("#chosen-diagnoses")
    expect(chosen.get_by_text("Chronic systolic (congestive) heart failure")).to_be_visible()
    search.fill("essential hypertension")
    search.press("Enter")  # searches; does not submit the enrolment
    page.get_by_role("button", name="Add I10").click()
    expect(chosen.get_by_label(re.compile("I10"))).to_be_checked()

    main.get_by_label("How consent was given").select_option("written")
    expect(main.get_by_label("Consent recorded by")).to_have_value(str(bob.pk))
    shoot(page, "enrol", shot_dir)
    page.get_by_role("button", name="Enrol patient").click()

    expect(page.get_by_text("Quint, Nora is enrolled.")).to_be_visible()
    status = page.locator("#enrolment")
    expect(status.get_by_text("Heart failure", exact=True)).to_be_visible()
    expect(status.get_by_text("I50.22")).to_be_visible()
    expect(status.get_by_text("I10", exact=True)).to_be_visible()
    expect(status.get_by_text(re.compile(r"^Written"))).to_be_visible()
    expect(status.get_by_text("Not linked yet")).to_have_count(0)
    patient = Patient.objects.get(mrn="RHV-300001")
    assert patient.impilo_patient_id == 31001
    assert patient.solo_id
    assert patient.validic_user_id
    assert sorted(patient.diagnoses.values_list("code", flat=True)) == ["I10", "I50.22"]
    shoot(page, "enrolled-patient", shot_dir, part="#enrolment")

    # Assign a cuff from the patient page.
    page.get_by_role("button", name="Assign a device…").click()
    dialog = page.locator("#patient-assign-dialog")
    dialog.get_by_label("Find the device by serial number").fill("BT105-S700")
    dialog.get_by_text("BT105-S700").first.click()
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#devices-panel").get_by_role("link", name="BT105-S700")).to_be_visible()
    assert patient.device_assignments.filter(ended_at__isnull=True).count() == 1

    # The discharge page lists the device; discharge with it unassigned.
    page.locator("#enrolment").get_by_role("link", name="Discharge…").click()
    expect(page.get_by_role("heading", name="Discharge Quint, Nora")).to_be_visible()
    page.get_by_label("Reason").select_option("higher_care")
    page.get_by_label(re.compile("BT105-S700")).check()
    shoot(page, "discharge", shot_dir)
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_text("Quint, Nora is discharged.")).to_be_visible()
    expect(page.get_by_text("BT105-S700 is unassigned.")).to_be_visible()
    expect(page.locator("#enrolment").get_by_text(re.compile(r"Discharged on"))).to_be_visible()
    shoot(page, "discharged-patient", shot_dir, part="#enrolment")
