"""The Staff page is the organization admin's: other roles are refused, and another
organization's members and invitations are neither listed nor reachable."""

from http import HTTPStatus

import pytest
from django.test import Client

from portal.models import Role
from tests import factories
from tests.portal.staff_helpers import invite


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def test_admin_sees_members_with_their_sign_in_facts_and_waiting_invitations(
    ada_client, ada, alice, bob, org, django_assert_max_num_queries
):
    alice.email = "alice@example.org"
    alice.save()
    invite(org, ada, email="nina@example.org", role=Role.COORDINATOR, clinical_staff=True)
    with django_assert_max_num_queries(12):
        page = ada_client.get("/staff/")
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    for expected in ("alice", "alice@example.org", "Care coordinator", "Never", "Not set up"):
        assert expected in text
    assert "nina@example.org" in text
    assert "(clinical staff)" in text
    assert "Send again" in text
    assert 'href="/staff/"' in text  # the nav link, for admins only


def test_the_nav_link_is_shown_to_organization_admins_only(nurse_client):
    page = nurse_client.get("/patients/")
    assert page.status_code == HTTPStatus.OK
    assert b'href="/staff/"' not in page.content


@pytest.mark.parametrize("who", ["alice", "bob", "petra"])
def test_other_roles_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    for url in ("/staff/", "/staff/invite/"):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    posted = client.post("/staff/invite/", {"email": "x@example.org", "role": "nurse"})
    assert posted.status_code == HTTPStatus.FORBIDDEN


def test_another_organizations_staff_are_invisible_and_unreachable(ada_client, other_org, olga):
    other_admin = factories.staff(other_org, Role.ORG_ADMIN, username="otto")
    other_invite, _ = invite(other_org, other_admin, email="oscar@example.org")
    page = ada_client.get("/staff/")
    assert b"olga" not in page.content
    assert b"oscar@example.org" not in page.content
    assert ada_client.get(f"/staff/{olga.pk}/").status_code == HTTPStatus.NOT_FOUND
    for action in ("deactivate", "reactivate"):
        response = ada_client.post(f"/staff/{olga.pk}/{action}/")
        assert response.status_code == HTTPStatus.NOT_FOUND
    for action in ("resend", "revoke"):
        response = ada_client.post(f"/staff/invites/{other_invite.pk}/{action}/")
        assert response.status_code == HTTPStatus.NOT_FOUND
    olga.refresh_from_db()
    other_invite.refresh_from_db()
    assert olga.is_active
    assert other_invite.is_open


def test_anonymous_visitors_are_sent_to_sign_in():
    response = Client().get("/staff/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
