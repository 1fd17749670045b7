"""The invitee's sign-up page: from the emailed link, with no login, they choose a username,
their name and a password and become a member with the invited role. The link works once and
until it expires; expired, withdrawn, replaced and used links get a page that says so."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from portal.models import AuditEvent, Membership, Role, StaffInvite
from tests import factories
from tests.portal.staff_helpers import invite, sign_up

User = get_user_model()


@pytest.fixture
def invitee():
    return Client()


def test_the_invitee_signs_up_and_is_signed_in_with_the_invited_role(invitee, ada, org):
    row, token = invite(org, ada, role=Role.COORDINATOR, clinical_staff=True)
    opened = invitee.get(f"/staff/join/{token}/")
    # The token leaves the address bar: the form is at a fixed address, the token in the session.
    assert opened["Location"] == "/staff/join/"
    form = invitee.get("/staff/join/")
    assert form.status_code == HTTPStatus.OK
    assert b"Join Riverside Heart" in form.content
    assert b"nina@example.org" in form.content
    assert token.encode() not in form.content

    response = sign_up(invitee, token)
    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get(username="nina")
    assert (user.first_name, user.last_name, user.email) == ("Nina", "Novak", "nina@example.org")
    assert user.check_password("plum tree lantern 42")
    assert user.is_active
    assert not user.is_staff
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.clinical_staff) == (
        org,
        Role.COORDINATOR,
        True,
    )
    assert membership.is_clinical_staff
    row.refresh_from_db()
    assert row.accepted_user == user
    assert row.accepted_at is not None
    event = AuditEvent.objects.get(action="staff.invite_accept")
    assert (event.actor, event.organization, event.object_id) == (user, org, str(row.pk))
    assert event.detail == {"user": user.pk, "role": "coordinator"}

    roster = invitee.get(response["Location"], follow=True)
    assert roster.status_code == HTTPStatus.OK
    assert b"Welcome, Nina. You are signed in to Riverside Heart." in roster.content


def test_an_invited_admin_gets_django_admin_for_the_rare_settings(invitee, ada, org):
    _, token = invite(org, ada, role=Role.ORG_ADMIN)
    sign_up(invitee, token)
    user = User.objects.get(username="nina")
    assert user.is_staff
    assert not user.is_superuser
    assert user.groups.filter(name="Organization admins").exists()


def test_the_link_works_once(invitee, ada, org):
    _, token = invite(org, ada)
    assert sign_up(invitee, token).status_code == HTTPStatus.FOUND
    again = Client()
    page = again.get(f"/staff/join/{token}/")
    assert page.status_code == HTTPStatus.GONE
    assert b"This link was already used" in page.content
    # The form itself, reached with the token still in a session opened before the sign-up:
    early = Client()
    _, token2 = invite(org, ada, email="max@example.org")
    early.get(f"/staff/join/{token2}/")
    assert sign_up(Client(), token2, username="max").status_code == HTTPStatus.FOUND
    late = early.post(
        "/staff/join/",
        {
            "first_name": "Max",
            "last_name": "Moe",
            "username": "max2",
            "password1": "plum tree lantern 42",
            "password2": "plum tree lantern 42",
        },
    )
    assert late.status_code == HTTPStatus.GONE
    assert not User.objects.filter(username="max2").exists()
    assert Membership.objects.filter(user__email="max@example.org").count() == 1


def test_an_expired_link_shows_a_page_saying_so(invitee, ada, org, time_machine, settings):
    settings.STAFF_INVITE_DAYS = 7
    time_machine.move_to(timezone.now(), tick=False)
    _, token = invite(org, ada)
    time_machine.shift(timedelta(days=7) - timedelta(seconds=1))
    assert invitee.get(f"/staff/join/{token}/").status_code == HTTPStatus.FOUND
    time_machine.shift(timedelta(seconds=1))
    posted = invitee.post(
        "/staff/join/",
        {
            "first_name": "Nina",
            "last_name": "Novak",
            "username": "nina",
            "password1": "plum tree lantern 42",
            "password2": "plum tree lantern 42",
        },
    )
    assert posted.status_code == HTTPStatus.GONE
    assert b"This link has expired" in posted.content
    assert b"Ask your organization" in posted.content
    assert not User.objects.filter(username="nina").exists()
    assert Client().get(f"/staff/join/{token}/").status_code == HTTPStatus.GONE
    # The admin's list says so and offers to send it again.
    admin = Client()
    admin.force_login(ada)
    assert b"Expired" in admin.get("/staff/").content


def test_an_unknown_link_is_a_clear_404(invitee, db):
    page = invitee.get("/staff/join/not-a-real-token/")
    assert page.status_code == HTTPStatus.NOT_FOUND
    assert b"This link does not work" in page.content
    assert invitee.get("/staff/join/").status_code == HTTPStatus.NOT_FOUND


def test_password_rules_and_a_taken_username_are_shown_under_the_fields(invitee, ada, org, alice):
    row, token = invite(org, ada)
    weak = sign_up(invitee, token, password="password")
    assert weak.status_code == HTTPStatus.OK
    assert b"This password is too common." in weak.content
    taken = invitee.post(
        "/staff/join/",
        {
            "first_name": "Nina",
            "last_name": "Novak",
            "username": "ALICE",
            "password1": "plum tree lantern 42",
            "password2": "plum tree lantern 42",
        },
    )
    assert b"A user with that username already exists." in taken.content
    assert b'value="Nina"' in taken.content  # what was typed is kept
    row.refresh_from_db()
    assert row.is_open
    assert not Membership.objects.filter(user__username__iexact="nina").exists()


def test_a_signed_in_person_is_asked_to_sign_out_first(client, alice, ada, org):
    _, token = invite(org, ada)
    client.force_login(alice)
    page = client.get(f"/staff/join/{token}/")
    assert page.status_code == HTTPStatus.CONFLICT
    assert b"sign out, then open the link" in page.content
    assert StaffInvite.objects.get().is_open


def test_under_the_second_factor_policy_the_new_member_sets_one_up_first(invitee, ada, org):
    org.require_second_factor = True
    org.save()
    _, token = invite(org, ada)
    form = invitee.get(f"/staff/join/{token}/", follow=True)
    assert b"requires a second factor" in form.content
    response = sign_up(invitee, token)
    home = invitee.get(response["Location"])
    assert home.status_code == HTTPStatus.FOUND
    assert home["Location"].startswith("/accounts/security/")
    assert invitee.get("/patients/")["Location"].startswith("/accounts/security/")
    page = invitee.get("/accounts/security/")
    assert b"Your organization requires a second factor" in page.content


def test_another_organizations_admin_invites_into_their_own_organization_only(invitee, other_org):
    otto = factories.staff(other_org, Role.ORG_ADMIN, username="otto")
    _, token = invite(other_org, otto)
    sign_up(invitee, token)
    assert Membership.objects.get(user__username="nina").organization == other_org
