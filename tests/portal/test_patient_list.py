from http import HTTPStatus

from portal.models import AuditEvent
from tests.factories import PatientFactory


def test_lists_only_own_organization(nurse_client, patient, other_patient):
    response = nurse_client.get("/patients/")
    assert response.status_code == HTTPStatus.OK
    assert b"Quimby, Harriet" in response.content
    assert b"Other, Oscar" not in response.content


def test_search_by_last_name_full_name_and_mrn(nurse_client, org, patient):
    PatientFactory(organization=org, first_name="Jo", last_name="Smith", mrn="RHV-555")
    for query in ["quim", "Harriet Quimby", "Quimby, Har", patient.mrn.lower()]:
        response = nurse_client.get("/patients/", {"q": query})
        assert b"Quimby, Harriet" in response.content, query
        assert b"Smith, Jo" not in response.content, query
    assert b"Smith, Jo" in nurse_client.get("/patients/", {"q": "RHV-555"}).content


def test_search_with_no_match_says_so(nurse_client, patient):
    response = nurse_client.get("/patients/", {"q": "zzz"})
    assert b"No patients match" in response.content


def test_paging_and_bad_page_numbers(nurse_client, org):
    PatientFactory.create_batch(30, organization=org)
    first = nurse_client.get("/patients/")
    assert b"Page 1 of 2" in first.content
    second = nurse_client.get("/patients/", {"page": "2"})
    assert b"Page 2 of 2" in second.content
    assert nurse_client.get("/patients/", {"page": "abc"}).status_code == HTTPStatus.OK
    assert nurse_client.get("/patients/", {"page": "999"}).status_code == HTTPStatus.OK


def test_htmx_search_returns_only_the_results_fragment(nurse_client, patient):
    response = nurse_client.get(
        "/patients/", {"q": "quim"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results"
    )
    assert response.status_code == HTTPStatus.OK
    assert b"<html" not in response.content
    assert b'id="patient-results"' in response.content


def test_query_count_does_not_grow_with_patients(
    nurse_client, org, django_assert_max_num_queries, django_assert_num_queries
):
    PatientFactory.create_batch(5, organization=org)
    with django_assert_max_num_queries(12) as small:
        nurse_client.get("/patients/")
    PatientFactory.create_batch(40, organization=org)
    with django_assert_num_queries(len(small.captured_queries)):
        nurse_client.get("/patients/")


def test_list_view_is_audited(nurse_client, alice, patient):
    nurse_client.get("/patients/", {"q": "quim"})
    event = AuditEvent.objects.get(action="patient.list")
    assert event.actor == alice
    assert event.detail == {"page": 1, "searched": True}
