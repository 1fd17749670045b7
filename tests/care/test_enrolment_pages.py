"""The enrolment pages (readings.care.views_enrol): enrol with diagnoses and consent, program
defaults, vendor ids found or created against the sandbox (in process) including a vendor
failure and its retry, the diagnosis picker, discharge and re-enrolment, who may do what."""

import datetime as dt
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.enrolment import built_in_programs_ensure
from portal.enrolment_models import Program
from portal.models import Patient, Role
from portal.sandbox.state import FaultMode
from readings.models import RuleKind, ThresholdRule
from tests import factories

ENROL = "/patients/enrol/"


def program(code):
    """A built-in program (seeded by migration; a transactional test before this one flushed
    the table, so make sure it is there)."""
    built_in_programs_ensure()
    return Program.objects.get(code=code, organization=None)


def today():
    return timezone.now().astimezone(ZoneInfo("America/New_York")).date()


def form(petra, alice, bob, **overrides):
    return {
        "first_name": "Nora",
        "last_name": "Quint",
        "birth_date": "1951-04-12",
        "sex": "female",
        "mrn": "RHV-300001",  # known to the sandbox's Impilo (world.IMPILO_AWAITING_ENROLMENT)
        "phone": "+1-555-0199",
        "email": "",
        "zip_code": "10001",
        "time_zone": "America/New_York",
        "program": program("heart_failure").pk,
        "ordering_physician": petra.pk,
        "primary_nurse": alice.pk,
        "consent_on": (today() - dt.timedelta(days=1)).isoformat(),
        "consent_method": "written",
        "consent_recorded_by": bob.pk,
        "consent_text_version": "RPM consent v2026.1",
        "diagnoses": ["I50.22", "I10"],
        **overrides,
    }


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def test_coordinator_enrols_with_diagnoses_consent_defaults_and_vendor_ids(
    bob_client, bob, petra, alice, vendor_accounts
):
    response = bob_client.post(ENROL, form(petra, alice, bob))
    patient = Patient.objects.get(mrn="RHV-300001")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert list(patient.diagnoses.values_list("code", flat=True)) == ["I50.22", "I10"]
    assert (patient.consent_method, patient.consent_recorded_by) == ("written", bob)
    assert (patient.ordering_physician, patient.primary_nurse) == (petra, alice)
    # Vendor ids found or created, none typed.
    assert patient.solo_id == f"vp-riverside-{patient.pk}"
    assert patient.validic_user_id
    assert patient.impilo_patient_id == 31001
    assert patient.vendor_link_problems == {}
    # Heart failure's weight-gain rules are the patient's, recorded as overrides with a reason.
    rules = ThresholdRule.objects.filter(patient=patient, superseded_at=None)
    assert sorted((r.kind, r.value, r.days, r.reason, r.created_by_id) for r in rules) == [
        (RuleKind.WEIGHT_GAIN, 2.0, 1, "program default: Heart failure", bob.pk),
        (RuleKind.WEIGHT_GAIN, 5.0, 7, "program default: Heart failure", bob.pk),
    ]
    page = bob_client.get(response.url).content.decode()
    assert "I50.22" in page
    assert "Chronic systolic (congestive) heart failure" in page
    assert "Not linked yet" not in page


def test_a_vendor_failure_leaves_the_patient_enrolled_with_the_reason_and_a_retry(
    bob_client, bob, petra, alice, vendor_accounts, faults
):
    faults.inject("solo", FaultMode.ERROR, 1, path_contains="/patients")
    response = bob_client.post(ENROL, form(petra, alice, bob), follow=True)
    patient = Patient.objects.get(mrn="RHV-300001")
    assert response.status_code == HTTPStatus.OK
    assert patient.solo_id is None
    assert patient.validic_user_id  # the other vendors went ahead
    assert patient.impilo_patient_id == 31001
    assert "Solo did not answer" in patient.vendor_link_problems["solo"]
    page = response.content.decode()
    assert "Not linked to Solo (video visits) yet: Solo did not answer" in page
    assert "Link to services again" in page

    bob_client.post(reverse("patients:link_vendors", args=[patient.pk]))
    patient.refresh_from_db()
    assert patient.solo_id == f"vp-riverside-{patient.pk}"
    assert patient.vendor_link_problems == {}


def test_a_patient_impilo_does_not_know_is_enrolled_with_that_reason(
    bob_client, bob, petra, alice, vendor_accounts
):
    bob_client.post(ENROL, form(petra, alice, bob, mrn="NEW-1"))
    patient = Patient.objects.get(mrn="NEW-1")
    assert patient.impilo_patient_id is None
    assert patient.solo_id is not None
    assert "Impilo has no patient with MRN NEW-1" in patient.vendor_link_problems["impilo"]


def test_duplicate_mrn_shows_the_message_at_the_field_and_keeps_what_was_typed(
    bob_client, bob, petra, alice, org
):
    factories.PatientFactory(organization=org, mrn="RHV-300001")
    response = bob_client.post(ENROL, form(petra, alice, bob))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "MRN RHV-300001 is already used by a patient of your organization" in page
    assert 'value="Quint"' in page
    assert 'value="I50.22" checked' in page  # the chosen diagnoses are kept
    assert Patient.objects.filter(mrn="RHV-300001").count() == 1


def test_a_code_that_is_not_billable_is_named(bob_client, bob, petra, alice):
    response = bob_client.post(ENROL, form(petra, alice, bob, diagnoses=["I50.2"]))
    assert "I50.2" in response.content.decode()
    assert "is not a billable ICD-10-CM code" in response.content.decode()
    assert not Patient.objects.exists()


def test_diagnosis_search_and_pick(bob_client):
    results = bob_client.get(
        reverse("patients:enrol_diagnoses"), {"dx_q": "I50.2", "diagnoses": ["I50.22"]}
    ).content.decode()
    assert "I50.21" in results
    assert "Added" in results  # I50.22 is already chosen
    picked = bob_client.get(reverse("patients:enrol_diagnosis_pick"), {"code": "I50.21"})
    assert 'value="I50.21" checked' in picked.content.decode()
    again = bob_client.get(
        reverse("patients:enrol_diagnosis_pick"), {"code": "I50.21", "diagnoses": ["I50.21"]}
    )
    assert again.content == b""


@pytest.mark.parametrize(
    ("who", "status"),
    [("bob", HTTPStatus.OK), ("ada", HTTPStatus.OK), ("alice", HTTPStatus.FORBIDDEN)],
)
def test_who_may_enrol(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(ENROL).status_code == status


def test_the_patient_list_offers_enrolment_to_those_who_may(client, bob, alice):
    client.force_login(bob)
    assert "Enrol a patient" in client.get("/patients/").content.decode()
    client.force_login(alice)
    assert "Enrol a patient" not in client.get("/patients/").content.decode()


def test_discharge_from_the_patient_page(client, alice, patient):
    patient.monitoring_started_on = today() - dt.timedelta(days=40)
    patient.save()
    client.force_login(alice)  # clinical staff may discharge too
    url = reverse("patients:discharge", args=[patient.pk])
    refused = client.post(url, {"reason": "goals_met", "on": "2099-01-01"})
    assert "cannot be in the future" in refused.content.decode()
    on = today() - dt.timedelta(days=1)
    response = client.post(
        url, {"reason": "goals_met", "on": on.isoformat(), "note": "Stable"}, follow=True
    )
    patient.refresh_from_db()
    assert not patient.is_active
    page = response.content.decode()
    assert f"Discharged on {on:%b} {on.day}, {on.year}" in page
    assert "(Program goals met)" in page


def test_reenrol_after_discharge(client, bob, patient):
    patient.is_active = False
    patient.discharged_on = today() - dt.timedelta(days=5)
    patient.discharge_reason = "moved"
    patient.save()
    client.force_login(bob)
    client.post(reverse("patients:reenrol", args=[patient.pk]))
    patient.refresh_from_db()
    assert patient.is_active
    assert patient.monitoring_started_on == today()


@pytest.mark.parametrize("name", ["discharge", "reenrol", "link_vendors"])
def test_another_organizations_patient_is_a_404(client, other_org, patient, name):
    client.force_login(factories.staff(other_org, Role.COORDINATOR, username="otto"))
    assert client.post(reverse(f"patients:{name}", args=[patient.pk])).status_code == 404
