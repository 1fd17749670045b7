"""Contract: the Solo operations the portal's join link, demographics and id-based booking use,
through the portal's services against the sandbox over real HTTP, with seed 003's example
patient ("Mike Shinoda"):
- Get Patient / Get Patient with SPID — "Get Patient demographics."
- Update Patient / Update Patient with SPID — "Updates Patient demographics. ... All other
  fields are optional."
- Create Appointment with SPID / with HSID — "Create a new Appointment object. Field
  waitingRoom is required."
- Get Provider and Patient Appointment Link with SAID — "Get an Appointment link for provider
  and an Appointment link for the patient." (`patientVisitUrl`)."""

import pytest
import requests

from appointments.clients import SoloClient
from appointments.services import links
from appointments.services.booking import appointment_book
from appointments.services.patients import (
    SoloDemographics,
    solo_demographics_fetch,
    solo_demographics_update,
)
from tests.appointments import seed_examples as ex
from tests.appointments.conftest import future_slot
from tests.factories import PatientFactory

pytestmark = pytest.mark.live_sandbox  # a contract test: the wire itself

MIKE = SoloDemographics(
    first_name="Mike",
    last_name="Shinoda",
    birth_date="1983-08-15",
    gender="male",
    phone="+1 (111) 111-1111",
    email="mike_zzzzzzz@company.com",
    preferred_language="English",
    address_line="123 Main St",
    city="New York",
    state="NY",
    postal_code="10019",
    active=True,
    deceased=True,
    deceased_at="2020-03-31 10:12 AM",
)


@pytest.fixture
def client(solo_account):
    return SoloClient.for_organization(solo_account.organization)


@pytest.fixture
def mike(org, client):
    """The document's example patient, created in Solo, and the portal's patient for it."""
    spid = client.patient_create({"id": "ext-mike", **ex.PATIENT})
    return PatientFactory(
        organization=org,
        first_name="Mike",
        last_name="Shinoda",
        solo_id="ext-mike",
        solo_spid=str(spid),
        solo_hsid=ex.PATIENT["mrn"],
    )


def test_get_patient_by_id_reads_the_documents_example(mike):
    assert solo_demographics_fetch(patient=mike) == MIKE


def test_get_patient_with_spid_reads_the_same_record(mike):
    mike.solo_id = None  # a patient the portal knows from Solo's events: only the SPID
    assert solo_demographics_fetch(patient=mike) == MIKE


@pytest.mark.parametrize("by", ["id", "spid"])
def test_update_patient_changes_only_what_staff_edited(mike, client, bob, by):
    if by == "spid":
        mike.solo_id = None
        mike.save()
    after = solo_demographics_update(
        patient=mike,
        changes={"first_name": "Michael", "phone": "+1 (222) 222-2222", "city": "Brooklyn"},
        by=bob,
    )
    assert after.first_name == "Michael"
    theirs = client.patient_get_by_spid(mike.solo_spid)
    assert (
        theirs["name"][0] | {"firstName": "Mike", "family": "Mike Shinoda"}
        == (ex.PATIENT["name"][0])
    )
    assert theirs["name"][0]["firstName"] == "Michael"
    assert theirs["telecom"] == [
        {"use": "home", "system": "phone", "value": "+1 (222) 222-2222"},
        ex.PATIENT["telecom"][1],
    ]
    assert theirs["address"][0] == ex.PATIENT["address"][0] | {"city": "Brooklyn"}
    for untouched in ("contact", "race", "ethnicity", "maritalStatus", "deceased", "deceasedAt"):
        assert theirs[untouched] == ex.PATIENT[untouched]


@pytest.mark.parametrize("via", ["spid", "hsid"])
def test_create_appointment_with_spid_or_hsid(mike, rooms, bob, client, via):
    visit = appointment_book(
        patient=mike,
        waiting_room=rooms["Cardiology Follow-up"],
        starts_at=future_slot(12, 15),
        reasons=["headache"],
        by=bob,
        via=via,
    )
    theirs = client.appointment_get(visit.solo_id)
    assert theirs["patient"]["id"] == "ext-mike"
    assert theirs["reasons"] == ["headache"]
    assert theirs["externalId"] == str(visit.external_id)


def test_patient_link_with_said_is_a_working_patient_link(book):
    visit = book()
    first = links.appointment_patient_link(appointment=visit)
    second = links.appointment_patient_link(appointment=visit)
    assert first != second
    answer = requests.get(first, timeout=10)
    assert answer.status_code == 200
    assert "role=patient" in first
