"""An organization admin invites staff by email: one open invitation per address (inviting
again replaces it), never to a member's address, the link's token stored only as a hash."""

import smtplib
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from portal.models import AuditEvent, Role, StaffInvite
from tests import factories
from tests.portal.staff_helpers import invite, token_in


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def test_invite_sends_a_link_that_expires_and_keeps_only_its_hash(ada_client, ada, org, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.org"
    settings.STAFF_INVITE_DAYS = 3
    response = ada_client.post(
        "/staff/invite/",
        {"email": "Nina@Example.ORG", "role": Role.PHYSICIAN, "clinical_staff": "no"},
        follow=True,
    )
    assert b"Invitation sent to Nina@example.org." in response.content
    row = StaffInvite.objects.get()
    assert (row.organization, row.email, row.role, row.clinical_staff) == (
        org,
        "Nina@example.org",
        Role.PHYSICIAN,
        False,
    )
    assert row.invited_by == ada
    assert row.expires_at - row.created_at == timedelta(days=3)
    assert row.sent_at is not None

    [message] = mail.outbox
    assert message.to == ["Nina@example.org"]
    assert message.subject == "Join Riverside Heart on Vitals Portal"
    assert "as physician / qhp" in message.body
    assert "https://portal.example.org/staff/join/" in message.body
    token = token_in(message.body)
    assert row.token_hash == StaffInvite.hash_token(token)
    assert token not in row.token_hash

    event = AuditEvent.objects.get(action="staff.invite")
    assert (event.actor, event.organization, event.object_id) == (ada, org, str(row.pk))
    assert event.detail == {"role": "physician", "clinical_staff": False, "replaced": []}
    assert AuditEvent.objects.get(action="staff.invite_email").detail == {"sent": True}
    assert token not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_inviting_the_same_address_again_replaces_the_open_invitation(ada, org):
    first, first_token = invite(org, ada, email="nina@example.org", role=Role.NURSE)
    second, second_token = invite(org, ada, email="NINA@example.org", role=Role.COORDINATOR)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert first.revoked_by == ada
    assert second.is_open
    assert second.role == Role.COORDINATOR
    assert first_token != second_token
    assert list(StaffInvite.objects.filter(revoked_at__isnull=True)) == [second]
    assert AuditEvent.objects.filter(action="staff.invite").first().detail["replaced"] == [first.pk]


def test_send_again_makes_a_new_link_and_the_old_one_stops_working(ada_client, ada, org):
    first, first_token = invite(org, ada)
    response = ada_client.post(f"/staff/invites/{first.pk}/resend/", follow=True)
    assert b"Invitation sent to nina@example.org." in response.content
    new_token = token_in(mail.outbox[-1].body)
    assert new_token != first_token
    new = StaffInvite.objects.get(revoked_at__isnull=True)
    assert (new.role, new.email) == (first.role, first.email)
    invitee = Client()
    assert invitee.get(f"/staff/join/{first_token}/").status_code == HTTPStatus.GONE
    assert invitee.get(f"/staff/join/{new_token}/").status_code == HTTPStatus.FOUND


def test_a_members_address_is_refused_with_a_message(ada_client, alice, org):
    alice.email = "alice@example.org"
    alice.save()
    response = ada_client.post(
        "/staff/invite/", {"email": "ALICE@example.org", "role": Role.NURSE, "clinical_staff": ""}
    )
    assert response.status_code == HTTPStatus.OK
    assert b"already belongs to a member of Riverside Heart" in response.content
    assert not StaffInvite.objects.exists()
    assert mail.outbox == []


def test_another_organizations_member_may_be_invited(ada_client, other_org):
    # One organization per account: a person working for two clinics gets two accounts.
    factories.staff(other_org, Role.NURSE, username="olga", email="olga@example.org")
    response = ada_client.post(
        "/staff/invite/", {"email": "olga@example.org", "role": Role.NURSE, "clinical_staff": ""}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert StaffInvite.objects.get().organization.slug == "riverside"


def test_revoke_ends_the_link(ada_client, ada, org):
    row, token = invite(org, ada)
    response = ada_client.post(f"/staff/invites/{row.pk}/revoke/", follow=True)
    assert b"revoked: its link no longer works" in response.content
    row.refresh_from_db()
    assert row.revoked_by == ada
    assert AuditEvent.objects.filter(action="staff.invite_revoke", object_id=str(row.pk)).exists()
    assert b"No invitations waiting" in ada_client.get("/staff/").content
    page = Client().get(f"/staff/join/{token}/")
    assert page.status_code == HTTPStatus.GONE
    assert b"This invitation was withdrawn" in page.content


def test_a_mail_server_failure_keeps_the_invitation_to_send_again(ada_client, monkeypatch):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("portal.staff_services.send_mail", refuse)
    response = ada_client.post(
        "/staff/invite/",
        {"email": "nina@example.org", "role": Role.NURSE, "clinical_staff": ""},
        follow=True,
    )
    assert b"the mail server did not take the email" in response.content
    assert b"Email not sent" in response.content
    row = StaffInvite.objects.get()
    assert row.is_open
    assert row.sent_at is None
    assert AuditEvent.objects.get(action="staff.invite_email").detail == {"sent": False}


def test_the_form_refuses_a_missing_address_and_role_under_the_fields(ada_client):
    response = ada_client.post("/staff/invite/", {"email": "not an address", "role": "boss"})
    assert response.status_code == HTTPStatus.OK
    assert b"Enter a valid email address." in response.content
    assert b"Select a valid choice." in response.content
    assert b'value="not an address"' in response.content
    assert not StaffInvite.objects.exists()
