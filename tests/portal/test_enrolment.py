"""Enrolment and discharge on the patient's record (portal.enrolment) and the ICD-10-CM code
set it checks diagnoses against (portal.icd10cm)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.audit import AuditEvent
from portal.enrolment import (
    CONSENT_TEXT_VERSION,
    built_in_programs_ensure,
    patient_discharge,
    patient_enrol,
    patient_reenrol,
)
from portal.enrolment_models import DischargeReason, PatientDiagnosis, Program
from portal.icd10cm import CODE_SET, normalise, release
from portal.models import Patient
from tests import factories


def program(code):
    """A built-in program (seeded by migration; a transactional test before this one flushed
    the table, so make sure it is there)."""
    built_in_programs_ensure()
    return Program.objects.get(code=code, organization=None)


def today():
    """Today where the test patients live (the factory's zone)."""
    return timezone.now().astimezone(ZoneInfo("America/New_York")).date()


def fields(**overrides):
    return {
        "first_name": "Nora",
        "last_name": "Quint",
        "birth_date": dt.date(1951, 4, 12),
        "sex": "female",
        "mrn": "RHV-300001",
        "time_zone": "America/New_York",
        "program": program("heart_failure"),
        "consent_on": today() - dt.timedelta(days=1),
        "consent_method": "verbal",
        **overrides,
    }


# --- the code set --------------------------------------------------------------------------
def test_code_set_is_current_and_billable_only():
    assert "2026" in release()
    assert CODE_SET.get("I50.22").description == "Chronic systolic (congestive) heart failure"
    assert CODE_SET.get("i5022").code == "I50.22"  # typed without the dot, in lower case
    assert CODE_SET.get("I50.2") is None  # a category with children is not billable
    assert CODE_SET.get("I10").description == "Essential (primary) hypertension"
    # Seventh-character codes exist only with their extension.
    assert CODE_SET.get("S72.001A") is not None
    assert CODE_SET.get("S72.001") is None


def test_search_by_code_prefix_and_by_words():
    assert [c.code for c in CODE_SET.search("I50.2")] == ["I50.20", "I50.21", "I50.22", "I50.23"]
    words = [c.code for c in CODE_SET.search("chronic diastolic heart failure")]
    assert words[0] == "I50.32"
    assert "J44.9" in [c.code for c in CODE_SET.search("copd")]  # staff abbreviation
    assert CODE_SET.search("   ") == []


def test_normalise_puts_the_dot_back():
    assert normalise(" e11.65 ") == "E11.65"
    assert normalise("I10") == "I10"


# --- enrolment -------------------------------------------------------------------------------
def test_enrol_records_patient_diagnoses_consent_and_audit(org, bob, petra, alice):
    patient = patient_enrol(
        organization=org,
        by=bob,
        fields=fields(ordering_physician=petra, primary_nurse=alice),
        diagnoses=["I50.22", "i10", "I50.22"],
    )
    patient.refresh_from_db()
    assert patient.is_active
    assert patient.program.code == "heart_failure"
    assert patient.consent_recorded_by == bob
    assert patient.consent_text_version == CONSENT_TEXT_VERSION
    assert patient.monitoring_started_on is None  # the episode starts with device data
    assert list(patient.diagnoses.values_list("code", "description", "added_by")) == [
        ("I50.22", "Chronic systolic (congestive) heart failure", bob.pk),
        ("I10", "Essential (primary) hypertension", bob.pk),
    ]
    event = AuditEvent.objects.get(action="patient.enrol")
    assert event.detail == {
        "program": "heart_failure",
        "diagnoses": ["I50.22", "I10"],
        "consent_method": "verbal",
    }


def test_mrn_taken_in_the_organization_is_refused_with_a_clear_message(org, bob):
    factories.PatientFactory(organization=org, mrn="RHV-300001")
    with pytest.raises(ValidationError) as caught:
        patient_enrol(organization=org, by=bob, fields=fields(), diagnoses=["I10"])
    assert "MRN RHV-300001 is already used" in caught.value.message_dict["mrn"][0]
    assert Patient.objects.filter(mrn="RHV-300001").count() == 1


def test_same_mrn_in_another_organization_is_fine(org, other_org, bob):
    factories.PatientFactory(organization=other_org, mrn="RHV-300001")
    assert patient_enrol(organization=org, by=bob, fields=fields(), diagnoses=[]).pk


def test_refusals_write_nothing(org, bob, olga, alice):
    with pytest.raises(ValidationError) as caught:
        patient_enrol(
            organization=org,
            by=bob,
            fields=fields(
                ordering_physician=alice,  # a nurse, not a physician
                primary_nurse=olga,  # another organization's nurse
                consent_on=today() + dt.timedelta(days=3),
            ),
            diagnoses=["I10", "I50.2"],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"ordering_physician", "primary_nurse", "consent_on", "diagnoses"}
    assert "I50.2" in errors["diagnoses"][0]
    assert not Patient.objects.exists()
    assert not PatientDiagnosis.objects.exists()


def test_another_organizations_program_is_refused(org, other_org, bob):
    theirs = Program.objects.create(organization=other_org, code="cardiac_rehab", name="Rehab")
    with pytest.raises(ValidationError) as caught:
        patient_enrol(organization=org, by=bob, fields=fields(program=theirs), diagnoses=[])
    assert "program" in caught.value.message_dict


def test_consent_is_required(org, bob):
    with pytest.raises(ValidationError) as caught:
        patient_enrol(organization=org, by=bob, fields=fields(consent_on=None), diagnoses=["I10"])
    assert "consent_on" in caught.value.message_dict


# --- discharge and re-enrolment ----------------------------------------------------------------
def test_discharge_ends_monitoring_and_keeps_the_record(org, bob, patient):
    patient.monitoring_started_on = today() - dt.timedelta(days=40)
    patient.save()
    on = today() - dt.timedelta(days=2)
    patient_discharge(
        patient=patient, by=bob, on=on, reason=DischargeReason.GOALS_MET, note="BP controlled"
    )
    patient.refresh_from_db()
    assert not patient.is_active
    assert (patient.discharged_on, patient.discharge_reason) == (on, "goals_met")
    assert AuditEvent.objects.get(action="patient.discharge").detail == {
        "on": on.isoformat(),
        "reason": "goals_met",
    }


def test_discharge_date_not_in_the_future_nor_before_enrolment(org, bob, patient):
    patient.monitoring_started_on = today() - dt.timedelta(days=10)
    patient.save()
    for on, message in (
        (today() + dt.timedelta(days=2), "cannot be in the future"),
        (today() - dt.timedelta(days=11), "cannot be before the enrolment"),
    ):
        with pytest.raises(ValidationError) as caught:
            patient_discharge(patient=patient, by=bob, on=on, reason="other")
        assert message in caught.value.message_dict["on"][0]
    patient.refresh_from_db()
    assert patient.is_active


def test_discharge_twice_is_refused(org, bob, patient):
    patient_discharge(patient=patient, by=bob, on=today() - dt.timedelta(days=0), reason="moved")
    with pytest.raises(ValidationError, match="already discharged"):
        patient_discharge(patient=patient, by=bob, on=today(), reason="moved")


def test_reenrol_starts_a_new_episode_and_the_audit_keeps_the_discharge(org, bob, patient):
    patient.monitoring_started_on = today() - dt.timedelta(days=90)
    patient.save()
    patient_discharge(patient=patient, by=bob, on=today() - dt.timedelta(days=30), reason="moved")
    patient_reenrol(patient=patient, by=bob)
    patient.refresh_from_db()
    assert patient.is_active
    assert patient.discharged_on is None
    assert patient.monitoring_started_on == timezone.now().astimezone(patient.tz).date()
    previous = AuditEvent.objects.get(action="patient.reenrol").detail["previous_discharge"]
    assert previous == {"on": (today() - dt.timedelta(days=30)).isoformat(), "reason": "moved"}
    with pytest.raises(ValidationError, match="already being monitored"):
        patient_reenrol(patient=patient, by=bob)


def test_consent_today_where_the_organization_is_is_not_the_future(org, bob, time_machine):
    """At 00:10 in New York on Dec 1 it is still Nov 30 in Chicago: the form offers the
    organization's Dec 1, and it is accepted; Dec 2 is the future for everyone."""
    org.time_zone = "America/New_York"
    org.save(update_fields=["time_zone"])
    time_machine.move_to(dt.datetime(2026, 12, 1, 5, 10, tzinfo=dt.UTC), tick=False)
    chicago = {"time_zone": "America/Chicago"}
    patient = patient_enrol(
        organization=org,
        by=bob,
        fields=fields(consent_on=dt.date(2026, 12, 1), **chicago),
        diagnoses=["I10"],
    )
    assert patient.consent_on == dt.date(2026, 12, 1)
    with pytest.raises(ValidationError) as caught:
        patient_enrol(
            organization=org,
            by=bob,
            fields=fields(consent_on=dt.date(2026, 12, 2), mrn="RHV-424242", **chicago),
            diagnoses=["I10"],
        )
    assert "in the future" in caught.value.message_dict["consent_on"][0]
