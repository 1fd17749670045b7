"""What an organization sets up in the portal itself before any vendor data arrives: the
organization with its vendor ids, its sites, staff logins, the patients it enrolled (with their
vendor ids), and the device catalogue (shared data a superuser keeps). All from the demo world;
update_or_create throughout, so a second load changes nothing."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from devices.models import Item
from portal.models import Membership, Organization, Patient, Role, Site
from portal.permissions import grant_org_admin_permissions
from portal.sandbox import world


@transaction.atomic
def organization_load(*, patient_count: int) -> tuple[Organization, list[Patient], dict]:
    """The demo organization, its first `patient_count` patients, and its staff by role."""
    org, _ = Organization.objects.update_or_create(
        slug=world.ORG_SLUG,
        defaults={
            "name": world.ORG_NAME,
            "time_zone": "America/New_York",
            "impilo_customer_id": world.IMPILO_CUSTOMER_ID,
            "solo_brand": world.SOLO_BRAND,
            "patient_graph_brand_id": world.PATIENT_GRAPH_BRAND_ID,
        },
    )
    for site_id, name, is_vendor, zone in world.SITES:
        Site.objects.update_or_create(
            organization=org,
            impilo_site_id=site_id,
            defaults={"name": name, "is_vendor_site": is_vendor, "time_zone": zone},
        )
    users = _staff_load(org)
    patients = _patients_load(org, world.demo_patients(patient_count), nurse=users[Role.NURSE])
    _other_organization_load()
    return org, patients, users


def _staff_load(org) -> dict:
    users = {}
    user_model = get_user_model()
    for username, first, last, role, password in world.STAFF:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(password)
            user.save()
        Membership.objects.update_or_create(user=user, defaults={"organization": org, "role": role})
        if role == Role.ORG_ADMIN:
            grant_org_admin_permissions(user)
        users[role] = user
    return users


def _patients_load(org, people, *, nurse) -> list[Patient]:
    patients = []
    today = timezone.localdate()
    for p in people:
        patient, _ = Patient.objects.update_or_create(
            organization=org,
            mrn=p.mrn,
            defaults={
                "first_name": p.first_name,
                "last_name": p.last_name,
                "birth_date": p.birth_date,
                "zip_code": p.zip_code,
                "time_zone": p.time_zone,
                "phone": p.phone,
                "impilo_patient_id": p.impilo_patient_id,
                "validic_user_id": p.validic_user_id,
                "solo_id": p.solo_id,
                "solo_spid": p.solo_spid,
                "patient_graph_id": p.patient_graph_id,
                "primary_nurse": nurse if p.index % 2 == 0 else None,
                # Episodes began 35–59 days ago, so today falls 5–29 days into each
                # patient's second 30-day billing period (the demo month shows a spread).
                "monitoring_started_on": today - timedelta(days=35 + (p.index * 7) % 25),
            },
        )
        patients.append(patient)
    return patients


def _other_organization_load() -> None:
    """A second organization, so the demo shows that tenants never see each other."""
    other, _ = Organization.objects.update_or_create(
        slug="lakeside",
        defaults={"name": "Lakeside Family Medicine", "time_zone": "America/Chicago"},
    )
    Patient.objects.update_or_create(
        organization=other,
        mrn="LFM-0001",
        defaults={
            "first_name": "Olive",
            "last_name": "Outsider",
            "birth_date": "1950-05-05",
            "zip_code": "60614",
            "time_zone": "America/Chicago",
        },
    )


def device_catalogue_load() -> None:
    """Impilo's item catalogue (Impilo has no list call the portal uses, so a superuser enters
    it), including the Smart Meter items the Validic pull files its devices under."""
    for item_id, name, kind in world.ITEMS:
        Item.objects.update_or_create(impilo_item_id=item_id, defaults={"name": name, "kind": kind})
