import datetime as dt
from http import HTTPStatus

from django.utils import timezone
from rest_framework.test import APIClient

from portal.enrolment import built_in_programs_ensure
from portal.enrolment_models import PatientDiagnosis, Program
from portal.models import ApiScope, AuditEvent
from tests.factories import PatientFactory, api_key


def program(code):
    """A built-in program (seeded by migration; a transactional test before this one flushed
    the table, so make sure it is there)."""
    built_in_programs_ensure()
    return Program.objects.get(code=code, organization=None)


def expected_patient(p):
    return {
        "id": p.pk,
        "mrn": p.mrn,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "birth_date": p.birth_date.isoformat(),
        "sex": "unknown",
        "zip_code": p.zip_code,
        "time_zone": p.time_zone,
        "is_active": True,
        "monitoring_started_on": None,
        "program": None,
        "diagnoses": [],
        "consent_on": None,
        "consent_method": "",
        "consent_text_version": "",
        "discharged_on": None,
        "discharge_reason": "",
        "impilo_patient_id": None,
        "solo_id": None,
        "solo_spid": None,
        "solo_hsid": None,
        "validic_user_id": None,
        "patient_graph_id": None,
        "created_at": p.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": p.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_integrator_reads_a_patient_with_an_api_key(api, org_key, patient):
    response = api.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == expected_patient(patient)
    event = AuditEvent.objects.get()
    assert (event.action, event.api_key, event.patient, event.actor) == (
        "patient.view",
        org_key[0],
        patient,
        None,
    )


def test_list_is_scoped_paginated_and_audited_once(
    api, org, other_patient, django_assert_max_num_queries
):
    PatientFactory.create_batch(3, organization=org)
    with django_assert_max_num_queries(5):
        response = api.get("/api/v1/patients", {"page_size": 2})
    body = response.json()
    assert response.status_code == HTTPStatus.OK
    assert len(body["results"]) == 2
    assert body["next"]
    assert body["previous"] is None
    rest = api.get(body["next"]).json()
    assert len(rest["results"]) == 1
    ids = {p["id"] for p in body["results"] + rest["results"]}
    assert other_patient.pk not in ids
    assert AuditEvent.objects.filter(action="patient.list").count() == 2


def test_search_filters_the_list(api, patient, org):
    PatientFactory(organization=org, last_name="Zeta")
    body = api.get("/api/v1/patients", {"search": "quimby"}).json()
    assert [p["id"] for p in body["results"]] == [patient.pk]


def test_another_organizations_key_gets_404(outsider_api, patient):
    response = outsider_api.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json() == {
        "error": "not_found",
        "message": "No Patient matches the given query.",
        "fields": {},
    }


def test_another_organizations_nurse_gets_404(client, olga, patient):
    client.force_login(olga)
    assert client.get(f"/api/v1/patients/{patient.pk}").status_code == HTTPStatus.NOT_FOUND


def test_staff_session_reads_the_api(nurse_client, patient):
    assert nurse_client.get(f"/api/v1/patients/{patient.pk}").status_code == HTTPStatus.OK


def test_anonymous_gets_401_with_the_error_shape(db, patient):
    response = APIClient().get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_wrong_and_malformed_keys_get_401(db, org, patient):
    _, raw = api_key(org)
    for header in [f"Bearer {raw}x", "Bearer vp_nothing", "Bearer a b", f"Bearer {raw[:-2]}"]:
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=header)
        response = c.get(f"/api/v1/patients/{patient.pk}")
        assert response.status_code == HTTPStatus.UNAUTHORIZED, header
        assert set(response.json()) == {"error", "message", "fields"}


def test_revoked_key_gets_401(db, org, patient):
    key, raw = api_key(org)
    key.revoke()
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = c.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["message"] == "This API key has been revoked."


def test_key_without_the_scope_gets_403(db, org, patient):
    _, raw = api_key(org, scopes=[ApiScope.READINGS_WRITE])
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = c.get(f"/api/v1/patients/{patient.pk}")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["message"] == "This API key lacks the 'patients:read' scope."


def test_key_is_stored_hashed_and_records_last_use(db, org, patient):
    key, raw = api_key(org)
    assert raw not in key.key_hash
    assert len(key.key_hash) == 64
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    c.get(f"/api/v1/patients/{patient.pk}")
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_enrol_a_patient(api, org):
    body = {
        "mrn": "NEW-1",
        "first_name": "Ida",
        "last_name": "Lewis",
        "birth_date": "1942-02-25",
        "zip_code": "02840",
        "time_zone": "America/New_York",
    }
    response = api.post("/api/v1/patients", body, format="json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["mrn"] == "NEW-1"
    again = api.post("/api/v1/patients", body, format="json")
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["error"] == "mrn_taken"
    assert AuditEvent.objects.filter(action="patient.create").count() == 1


def test_enrolment_fields_are_read_back(api, org, bob, patient):
    """Program by code, current diagnoses by code (a removed one is left out), consent and
    discharge as the enrolment pages recorded them."""
    patient.program = program("copd")
    patient.sex = "female"
    patient.consent_on = dt.date(2026, 11, 2)
    patient.consent_method = "verbal"
    patient.consent_text_version = "RPM consent v2026.1"
    patient.is_active = False
    patient.discharged_on = dt.date(2026, 11, 20)
    patient.discharge_reason = "higher_care"
    patient.save()
    PatientDiagnosis.objects.create(patient=patient, code="J44.9", description="COPD", added_by=bob)
    PatientDiagnosis.objects.create(
        patient=patient, code="I10", description="HTN", removed_at=timezone.now()
    )
    body = api.get(f"/api/v1/patients/{patient.pk}").json()
    assert {
        k: body[k] for k in ("sex", "program", "diagnoses", "consent_on", "consent_method")
    } == {
        "sex": "female",
        "program": "copd",
        "diagnoses": ["J44.9"],
        "consent_on": "2026-11-02",
        "consent_method": "verbal",
    }
    assert (body["is_active"], body["discharged_on"], body["discharge_reason"]) == (
        False,
        "2026-11-20",
        "higher_care",
    )
    listed = api.get("/api/v1/patients").json()["results"][0]
    assert listed["diagnoses"] == ["J44.9"]
