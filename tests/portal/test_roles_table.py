"""Who may do what: the README shows the code's table, and pages offer an action only to the
roles the table allows (the route walker, tests/security/test_route_tenancy.py, checks that the
server refuses the others)."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from portal.models import Role
from portal.roles import ACTIONS, may, readme_table
from readings.models import Alert
from tests.factories.care import evaluated

README = Path(settings.BASE_DIR) / "README.md"


def readme_section() -> str:
    text = README.read_text()
    section = text.split("### Who may do what", 1)[1].split("\n#", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_the_readme_table_is_the_code_table():
    assert readme_section() == readme_table()


def test_actions_other_helpers_wire_are_in_the_table():
    assert ACTIONS["staff.manage"].roles == (Role.ORG_ADMIN,)
    assert set(ACTIONS["patients.enrol"].roles) == {Role.COORDINATOR, Role.ORG_ADMIN}


def test_clinical_decisions_stay_with_clinical_roles_and_logistics_with_coordinators():
    for action in ("alerts.triage", "readings.manual", "thresholds.change", "visits.clinical"):
        assert Role.COORDINATOR not in ACTIONS[action].roles, action
        assert Role.NURSE in ACTIONS[action].roles, action
        assert Role.PHYSICIAN in ACTIONS[action].roles, action
    for action in ("devices.manage", "visits.schedule", "assistance.request", "patients.enrol"):
        assert Role.COORDINATOR in ACTIONS[action].roles, action


def test_the_may_filter_reads_the_table_and_refuses_nobody_signed_in():
    template = Template('{% if membership|may:"devices.sync" %}sync{% else %}no{% endif %}')
    assert template.render(Context({"membership": None})) == "no"
    assert not may(None, "patients.view")
    with pytest.raises(KeyError):
        may(None, "devices.misspelt")


@pytest.mark.django_db
def test_the_patient_page_offers_a_coordinator_devices_but_no_clinical_actions(
    client, alice, bob, patient
):
    client.force_login(alice)
    nurse_page = client.get(f"/patients/{patient.pk}/").content.decode()
    client.force_login(bob)
    coordinator_page = client.get(f"/patients/{patient.pk}/").content.decode()
    for offered_to_both in ("Assign a device…",):
        assert offered_to_both in nurse_page
        assert offered_to_both in coordinator_page
    for clinical in ("Record a reading taken over the phone", "Add a document"):
        assert clinical in nurse_page
        assert clinical not in coordinator_page


@pytest.mark.django_db
def test_the_alert_page_offers_triage_to_a_nurse_and_not_to_a_coordinator(
    client, alice, bob, petra, patient
):
    evaluated(patient, "systolic", 190, at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(hours=1))
    alert = Alert.objects.get(patient=patient)
    pages = {}
    for user in (alice, bob, petra):
        client.force_login(user)
        pages[user.username] = client.get(f"/alerts/{alert.pk}/").content.decode()
    claim = 'class="button button--primary">Claim</button>'
    assert claim in pages["alice"]
    assert claim in pages["petra"]
    assert claim not in pages["bob"]
