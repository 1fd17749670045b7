from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from portal.models import ApiKey, Membership, Organization, Patient, Role


def test_create_api_key_prints_a_working_key_once(org, patient):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_key", "--organization", org.slug, "--name", "hub", stdout=out, stderr=err
    )
    raw = out.getvalue().strip()
    assert raw.startswith("vp_")
    assert "cannot be shown again" in err.getvalue()
    assert ApiKey.objects.get().key_hash != raw
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"/api/v1/patients/{patient.pk}").status_code == 200


def test_create_api_key_unknown_org(db):
    with pytest.raises(CommandError, match="No organization"):
        call_command("create_api_key", "--organization", "nope", "--name", "x", stdout=StringIO())


def test_create_staff_user(org):
    call_command(
        "create_staff_user",
        "carol",
        "--organization",
        org.slug,
        "--role",
        "coordinator",
        "--password",
        "a long enough passphrase",
        stdout=StringIO(),
    )
    assert Membership.objects.get(user__username="carol").role == Role.COORDINATOR


def test_create_staff_user_refuses_weak_password(org):
    with pytest.raises(CommandError):
        call_command(
            "create_staff_user",
            "carol",
            "--organization",
            org.slug,
            "--role",
            "nurse",
            "--password",
            "123",
            stdout=StringIO(),
        )


def test_load_demo_data_is_repeatable(db):
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    call_command("load_demo_data", stdout=StringIO())
    org = Organization.objects.get(slug="riverside")
    assert Patient.objects.filter(organization=org).count() == 50
    assert org.vendor_accounts.count() == 4
    assert "demo-nurse-pass" in out.getvalue()
    assert "demo-physician-pass" in out.getvalue()
    # nurse, coordinator, admin, physician — once each, however often the loader runs
    assert Membership.objects.filter(organization=org).count() == 4
