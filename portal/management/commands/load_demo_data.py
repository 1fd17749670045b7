"""Load the demo organization: staff logins, ~50 patients, vendor accounts pointing at the
sandbox, then each app's own demo data (`<app>.demo.load`). Safe to run twice."""

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from portal import demo
from portal.hooks import app_modules
from portal.models import Membership, Organization, Patient, Role, Site, Vendor, VendorAccount
from portal.permissions import grant_org_admin_permissions

DEMO_APPS = ("devices", "readings", "readings.care", "appointments")


def sandbox_accounts(base_url: str) -> dict:
    base = base_url.rstrip("/") + "/sandbox"
    return {
        Vendor.IMPILO: (f"{base}/impilo/", {"token": demo.IMPILO_TOKEN}),
        Vendor.VALIDIC: (
            f"{base}/validic/",
            {"token": demo.VALIDIC_TOKEN, "organization_id": demo.VALIDIC_ORG_ID},
        ),
        Vendor.PATIENT_GRAPH: (f"{base}/patient-graph/", {"token": demo.PATIENT_GRAPH_TOKEN}),
        Vendor.SOLO: (
            f"{base}/solo/",
            {"api_key": demo.SOLO_API_KEY, "teams_auth_token": demo.SOLO_TEAMS_TOKEN},
        ),
    }


def configure_sandbox_accounts(organization, base_url: str) -> None:
    for vendor, (url, secrets) in sandbox_accounts(base_url).items():
        VendorAccount.objects.update_or_create(
            organization=organization,
            vendor=vendor,
            defaults={"base_url": url, "secrets": secrets, "is_enabled": True},
        )


class Command(BaseCommand):
    help = "Load the demo organization, staff, patients and vendor sandbox accounts."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=50)
        parser.add_argument(
            "--base-url", default=settings.PORTAL_BASE_URL, help="where the sandbox is served"
        )

    @transaction.atomic
    def handle(self, *args, patients, base_url, **options):
        org, _ = Organization.objects.update_or_create(
            slug=demo.ORG_SLUG,
            defaults={
                "name": demo.ORG_NAME,
                "time_zone": "America/New_York",
                "impilo_customer_id": demo.IMPILO_CUSTOMER_ID,
                "solo_brand": demo.SOLO_BRAND,
                "patient_graph_brand_id": demo.PATIENT_GRAPH_BRAND_ID,
            },
        )
        for site_id, name, is_vendor, zone in demo.SITES:
            Site.objects.update_or_create(
                organization=org,
                impilo_site_id=site_id,
                defaults={"name": name, "is_vendor_site": is_vendor, "time_zone": zone},
            )
        users = {}
        user_model = get_user_model()
        for username, first, last, role, password in demo.STAFF:
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(password)
                user.save()
            Membership.objects.update_or_create(
                user=user, defaults={"organization": org, "role": role}
            )
            if role == Role.ORG_ADMIN:
                grant_org_admin_permissions(user)
            users[role] = user
        configure_sandbox_accounts(org, base_url)

        people = []
        today = timezone.localdate()
        for p in demo.demo_patients(patients):
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
                    "primary_nurse": users[Role.NURSE] if p.index % 2 == 0 else None,
                    # Episodes began 35–59 days ago, so today falls 5–29 days into each
                    # patient's second 30-day billing period (the demo month shows a spread).
                    "monitoring_started_on": today - timedelta(days=35 + (p.index * 7) % 25),
                },
            )
            people.append(patient)

        # A second organization, so the demo shows that tenants never see each other.
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

        rng = random.Random(20261125)
        for module in app_modules("demo", DEMO_APPS):
            module.load(organization=org, patients=people, users=users, rng=rng, stdout=self.stdout)

        self.stdout.write(
            self.style.SUCCESS(f"Demo organization '{org.name}' ready with {len(people)} patients.")
        )
        self.stdout.write("Sign in at /accounts/login/ as:")
        for username, _first, _last, role, password in demo.STAFF:
            self.stdout.write(f"  {username:<12} {password:<18} ({role})")
