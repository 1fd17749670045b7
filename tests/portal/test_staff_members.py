"""An organization admin changes a member's role and clinical-staff answer, deactivates and
reactivates them. The organization always keeps an active admin; everything is audited."""

from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from portal.models import AuditEvent, Membership, Role
from tests import factories

PASSWORD = "correct horse battery staple"


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def test_admin_changes_role_and_clinical_flag(ada_client, ada, bob, org):
    page = ada_client.get(f"/staff/{bob.pk}/")
    assert page.status_code == HTTPStatus.OK
    assert b"Save role" in page.content
    response = ada_client.post(
        f"/staff/{bob.pk}/", {"role": Role.COORDINATOR, "clinical_staff": "yes"}, follow=True
    )
    assert b"role was saved" in response.content
    membership = Membership.objects.get(user=bob)
    assert membership.clinical_staff is True
    assert membership.is_clinical_staff
    event = AuditEvent.objects.get(action="staff.change")
    assert (event.actor, event.organization, event.object_id) == (ada, org, str(bob.pk))
    assert event.detail == {
        "user": bob.pk,
        "before": {"role": "coordinator", "clinical_staff": None},
        "after": {"role": "coordinator", "clinical_staff": True},
    }

    ada_client.post(f"/staff/{bob.pk}/", {"role": Role.ORG_ADMIN, "clinical_staff": ""})
    bob.refresh_from_db()
    assert Membership.objects.get(user=bob).clinical_staff is None
    assert bob.is_staff
    assert bob.groups.filter(name="Organization admins").exists()
    ada_client.post(f"/staff/{bob.pk}/", {"role": Role.NURSE, "clinical_staff": ""})
    bob.refresh_from_db()
    assert not bob.is_staff
    assert not bob.groups.exists()
    assert AuditEvent.objects.filter(action="staff.change").count() == 3


def test_the_last_active_admin_cannot_step_down(ada_client, ada, org):
    response = ada_client.post(f"/staff/{ada.pk}/", {"role": Role.NURSE, "clinical_staff": ""})
    assert response.status_code == HTTPStatus.OK
    assert b"needs at least one active organization admin" in response.content
    assert Membership.objects.get(user=ada).role == Role.ORG_ADMIN
    assert not AuditEvent.objects.filter(action="staff.change").exists()


def test_an_admin_may_step_down_when_another_active_admin_remains(ada_client, ada, org):
    factories.staff(org, Role.ORG_ADMIN, username="adele")
    response = ada_client.post(f"/staff/{ada.pk}/", {"role": Role.NURSE, "clinical_staff": ""})
    assert response.status_code == HTTPStatus.FOUND
    assert Membership.objects.get(user=ada).role == Role.NURSE


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(ada_client, ada, org):
    adele = factories.staff(org, Role.ORG_ADMIN, username="adele")
    ada_client.post(f"/staff/{adele.pk}/deactivate/")
    response = ada_client.post(f"/staff/{ada.pk}/", {"role": Role.NURSE, "clinical_staff": ""})
    assert b"needs at least one active organization admin" in response.content
    assert Membership.objects.get(user=ada).role == Role.ORG_ADMIN


def test_an_admin_cannot_deactivate_themselves(ada_client, ada, org):
    factories.staff(org, Role.ORG_ADMIN, username="adele")
    response = ada_client.post(f"/staff/{ada.pk}/deactivate/", follow=True)
    assert b"You cannot deactivate yourself" in response.content
    ada.refresh_from_db()
    assert ada.is_active


def test_deactivation_signs_the_member_out_and_keeps_them_out(ada_client, ada, alice, org):
    alice_client = Client()
    alice_client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert alice_client.get("/patients/").status_code == HTTPStatus.OK
    key, _ = factories.api_key(org)
    key.created_by = alice
    key.save()

    response = ada_client.post(f"/staff/{alice.pk}/deactivate/", follow=True)
    assert b"is deactivated and signed out everywhere" in response.content
    assert b"The API key they created still works" in response.content
    alice.refresh_from_db()
    assert not alice.is_active
    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(alice.pk) not in sessions
    assert alice_client.get("/patients/")["Location"].startswith("/accounts/login/")
    again = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert again.status_code == HTTPStatus.OK  # the form again, with its message
    key.refresh_from_db()
    assert key.is_active  # kept: it belongs to an integration (portal.staff_services)
    event = AuditEvent.objects.get(action="staff.deactivate")
    assert (event.actor, event.object_id) == (ada, str(alice.pk))
    assert event.detail == {"user": alice.pk, "sessions_ended": 1, "api_keys_kept": 1}
    assert b"Deactivated" in ada_client.get("/staff/").content


def test_reactivation_lets_them_sign_in_again(ada_client, ada, alice):
    ada_client.post(f"/staff/{alice.pk}/deactivate/")
    response = ada_client.post(f"/staff/{alice.pk}/reactivate/", follow=True)
    assert b"can sign in again" in response.content
    alice.refresh_from_db()
    assert alice.is_active
    signed_in = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert signed_in.status_code == HTTPStatus.FOUND
    assert AuditEvent.objects.filter(action="staff.reactivate", object_id=str(alice.pk)).exists()


def test_only_an_admin_changes_members(nurse_client, bob):
    assert nurse_client.get(f"/staff/{bob.pk}/").status_code == HTTPStatus.FORBIDDEN
    for url in (f"/staff/{bob.pk}/", f"/staff/{bob.pk}/deactivate/"):
        assert nurse_client.post(url, {"role": Role.ORG_ADMIN}).status_code == HTTPStatus.FORBIDDEN
    bob.refresh_from_db()
    assert bob.is_active
    assert Membership.objects.get(user=bob).role == Role.COORDINATOR
