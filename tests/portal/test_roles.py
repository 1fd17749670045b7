"""Who counts as clinical staff and who as a physician/QHP (CMS billing roles)."""

import pytest

from portal.models import Role
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


@pytest.mark.parametrize(
    ("role", "flag", "clinical", "bills_management", "physician"),
    [
        (Role.NURSE, None, True, True, False),
        (Role.NURSE, False, False, False, False),
        (Role.COORDINATOR, None, False, False, False),
        (Role.COORDINATOR, True, True, True, False),
        (Role.ORG_ADMIN, None, False, False, False),
        (Role.PHYSICIAN, None, False, True, True),
    ],
)
def test_clinical_staff_follows_the_role_unless_an_admin_says(
    org, role, flag, clinical, bills_management, physician
):
    user = factories.staff(org, role, username=f"u-{role}-{flag}")
    membership = user.membership
    membership.clinical_staff = flag
    membership.save()
    membership.refresh_from_db()
    assert membership.is_clinical_staff is clinical
    assert membership.may_bill_management is bills_management
    assert membership.is_physician is physician


def test_a_physician_reaches_clinical_pages(client, petra, patient):
    client.force_login(petra)
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
