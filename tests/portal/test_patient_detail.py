from http import HTTPStatus

from portal.models import AuditEvent


def test_nurse_sees_own_patient_and_the_view_is_audited(nurse_client, alice, patient):
    response = nurse_client.get(f"/patients/{patient.pk}/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == HTTPStatus.OK
    assert b"Quimby, Harriet" in response.content
    assert b"America/New_York" in response.content
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.patient, event.ip) == (
        "patient.view",
        alice,
        patient,
        "10.1.2.3",
    )
    assert event.object_type == "portal.patient"


def test_outsider_gets_404_for_another_organizations_patient(client, olga, patient):
    client.force_login(olga)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Quimby" not in response.content
    assert not AuditEvent.objects.filter(action="patient.view").exists()


def test_unknown_patient_is_404_page(nurse_client):
    response = nurse_client.get("/patients/999999/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"does not exist" in response.content


def test_audit_events_are_append_only(nurse_client, patient):
    import pytest
    from django.core.exceptions import ValidationError

    nurse_client.get(f"/patients/{patient.pk}/")
    event = AuditEvent.objects.get()
    event.action = "tampered"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
