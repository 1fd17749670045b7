"""factory-boy factories for the core models. Build only the rows a test needs."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from portal.models import ApiKey, Membership, Organization, Patient, Role, Site


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Clinic {n}")
    impilo_customer_id = "7001"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    impilo_site_id = factory.Sequence(lambda n: 5000 + n)
    time_zone = "America/New_York"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    organization = factory.SubFactory(OrganizationFactory)
    mrn = factory.Sequence(lambda n: f"MRN-{100000 + n}")
    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = factory.Sequence(lambda n: f"Testperson{n}")
    birth_date = dt.date(1950, 3, 14)
    zip_code = "10027"
    time_zone = "America/New_York"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = "Staff"
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.NURSE


def staff(organization, role=Role.NURSE, **user_fields):
    """A signed-up staff user of `organization` with `role`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organization=organization, role=role)
    if role == Role.ORG_ADMIN:
        from portal.permissions import grant_org_admin_permissions

        grant_org_admin_permissions(user)
    return user


# --- the cast most tests share: tests/conftest.py's fixtures, and the modules that make it
# once (tests/module_data.py) -------------------------------------------------------------
CAST_STAFF = {  # username: (role, first name); olga is the other organization's
    "alice": (Role.NURSE, "Alice"),
    "bob": (Role.COORDINATOR, "Bob"),
    "ada": (Role.ORG_ADMIN, "Ada"),
    "petra": (Role.PHYSICIAN, "Petra"),
    "olga": (Role.NURSE, "Olga"),
}


def our_organization():
    return OrganizationFactory(slug="riverside", name="Riverside Heart")


def other_organization():
    return OrganizationFactory(slug="lakeside", name="Lakeside Family")


def our_patient(organization):
    return PatientFactory(organization=organization, first_name="Harriet", last_name="Quimby")


def cast_member(username, organization):
    """alice, bob, ada, petra (of our organization) or olga (of the other one)."""
    role, first_name = CAST_STAFF[username]
    return staff(organization, role, username=username, first_name=first_name)


def api_key(organization, scopes=None, name="integration") -> tuple[ApiKey, str]:
    return ApiKey.generate(organization=organization, name=name, scopes=scopes)


def demo_patient_mirrored(organization, person):
    """One of the demo world's cast as the portal mirrors it after enrolment: its MRN, time zone
    and vendor ids (so the sandbox, seeded from the same cast, knows it)."""
    return PatientFactory(
        organization=organization,
        mrn=person.mrn,
        time_zone=person.time_zone,
        impilo_patient_id=person.impilo_patient_id,
        validic_user_id=person.validic_user_id,
        patient_graph_id=person.patient_graph_id,
    )
