from http import HTTPStatus

from portal.models import AuditEvent, VendorAccount
from tests.portal.second_factor_helpers import superuser_signed_in


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


# --- shared data, choices and validation (see also test_admin_walk.py) ---------------------
def test_org_admin_cannot_change_add_or_delete_the_shared_catalogue(client, ada, other_org):
    from devices.models import Item, ItemKind
    from tests.factories import DeviceFactory, ItemFactory

    item = ItemFactory()
    DeviceFactory(organization=other_org, item=item, identifier="LAKE-SERIAL-1")
    client.force_login(ada)
    change = f"/admin/devices/item/{item.pk}/change/"
    assert client.get(change).status_code == HTTPStatus.OK  # may look
    body = {"name": "Renamed by Ada", "kind": ItemKind.WEIGHT_SCALE, "is_serialized": "on"}
    assert client.post(change, body).status_code == HTTPStatus.FORBIDDEN
    assert client.post("/admin/devices/item/add/", body).status_code == HTTPStatus.FORBIDDEN
    delete = client.get(f"/admin/devices/item/{item.pk}/delete/")
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert b"LAKE-SERIAL-1" not in delete.content
    item.refresh_from_db()
    assert (item.name, item.kind) == ("BodyTrace BT105 Blood Pressure Monitor", "blood_pressure")
    assert not Item.objects.filter(name="Renamed by Ada").exists()


def test_superuser_still_edits_the_catalogue(client, db):
    from tests.factories import ItemFactory

    item = ItemFactory()
    superuser_signed_in(client)
    body = {"name": "BT105 v2", "kind": "blood_pressure", "is_serialized": "on"}
    response = client.post(f"/admin/devices/item/{item.pk}/change/", body)
    assert response.status_code == HTTPStatus.FOUND
    item.refresh_from_db()
    assert item.name == "BT105 v2"


def patient_form(patient, **changes):
    body = {
        "organization": patient.organization_id,
        "mrn": patient.mrn,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "zip_code": patient.zip_code,
        "time_zone": patient.time_zone,
        "is_active": "on",
    }
    body.update(changes)
    return body


def test_a_patient_cannot_get_another_organizations_nurse(client, ada, alice, olga, patient):
    client.force_login(ada)
    url = f"/admin/portal/patient/{patient.pk}/change/"
    page = client.get(url).content.decode()
    assert f'<option value="{alice.pk}"' in page
    assert f'<option value="{olga.pk}"' not in page
    refused = client.post(url, patient_form(patient, primary_nurse=olga.pk))
    assert refused.status_code == HTTPStatus.OK
    assert "Select a valid choice" in refused.content.decode()
    assert b"olga" not in refused.content
    patient.refresh_from_db()
    assert patient.primary_nurse is None
    accepted = client.post(url, patient_form(patient, primary_nurse=alice.pk))
    assert accepted.status_code == HTTPStatus.FOUND
    patient.refresh_from_db()
    assert patient.primary_nurse == alice


def test_a_patient_cannot_be_moved_to_another_organization(client, ada, patient, other_org):
    client.force_login(ada)
    url = f"/admin/portal/patient/{patient.pk}/change/"
    response = client.post(url, patient_form(patient, organization=other_org.pk))
    assert response.status_code == HTTPStatus.OK
    patient.refresh_from_db()
    assert patient.organization_id != other_org.pk


def test_waiting_room_filter_lists_only_our_rooms(client, ada, org, other_org):
    from appointments.models import WaitingRoom

    WaitingRoom.objects.create(organization=org, solo_id="wr-ours", name="Our Cardiology")
    WaitingRoom.objects.create(organization=other_org, solo_id="wr-theirs", name="Their Podiatry")
    client.force_login(ada)
    page = client.get("/admin/appointments/appointment/").content.decode()
    assert "Our Cardiology" in page
    assert "Their Podiatry" not in page
