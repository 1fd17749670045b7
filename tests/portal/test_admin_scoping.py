from http import HTTPStatus

from portal.models import AuditEvent, VendorAccount


def test_org_admin_sees_only_own_patients(client, ada, patient, other_patient):
    client.force_login(ada)
    response = client.get("/admin/portal/patient/")
    assert response.status_code == HTTPStatus.OK
    assert patient.mrn.encode() in response.content
    assert other_patient.mrn.encode() not in response.content


def test_org_admin_cannot_open_another_orgs_patient(client, ada, other_patient):
    client.force_login(ada)
    response = client.get(f"/admin/portal/patient/{other_patient.pk}/change/")
    # Django admin answers a missing object with a redirect to the index, never the record.
    assert response.status_code == HTTPStatus.FOUND
    assert not AuditEvent.objects.filter(patient=other_patient).exists()


def test_opening_a_patient_in_admin_is_audited(client, ada, patient):
    client.force_login(ada)
    assert client.get(f"/admin/portal/patient/{patient.pk}/change/").status_code == HTTPStatus.OK
    event = AuditEvent.objects.get(patient=patient)
    assert (event.action, event.actor, event.detail) == ("patient.view", ada, {"via": "admin"})


def test_nurse_has_no_admin(client, alice):
    client.force_login(alice)
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]


def test_audit_log_is_read_only_in_admin(client, ada, patient):
    client.force_login(ada)
    client.get(f"/admin/portal/patient/{patient.pk}/change/")
    event = AuditEvent.objects.get()
    assert client.get("/admin/portal/auditevent/").status_code == HTTPStatus.OK
    response = client.post(f"/admin/portal/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_org_admin_sees_only_own_vendor_accounts(client, ada, org, other_org):
    VendorAccount.objects.create(organization=org, vendor="solo", base_url="https://a.example/")
    VendorAccount.objects.create(
        organization=other_org, vendor="solo", base_url="https://b.example/"
    )
    client.force_login(ada)
    response = client.get("/admin/portal/vendoraccount/")
    assert b"a.example" in response.content
    assert b"b.example" not in response.content


def test_new_api_key_is_shown_once_in_admin(client, ada, org):
    client.force_login(ada)
    response = client.post(
        "/admin/portal/apikey/add/",
        {"organization": org.pk, "name": "hub", "scopes": '["patients:read"]'},
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert "copy it now" in text
    assert "vp_" in text
