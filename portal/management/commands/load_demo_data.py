"""Load the demo organization (`portal.demo`): staff logins, ~50 patients, vendor accounts
pointing at the sandbox, and the mirror filled through the vendor pulls. Safe to run twice."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo.accounts import configure_sandbox_accounts
from portal.demo.loader import demo_load
from portal.demo.pulls import DemoPullFailed
from portal.sandbox import world

# configure_sandbox_accounts is named here too: tests wire their organization to the sandbox
# the way the demo does (tests/conftest.py imports it from this module).
__all__ = ["Command", "configure_sandbox_accounts"]


class Command(BaseCommand):
    help = "Load the demo organization, staff, patients and vendor sandbox accounts."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=50)
        parser.add_argument(
            "--base-url", default=settings.PORTAL_BASE_URL, help="where the sandbox is served"
        )

    def handle(self, *args, patients, base_url, **options):
        if not settings.PORTAL_SANDBOX:
            raise CommandError("The demo needs the vendor sandbox: set PORTAL_SANDBOX=1.")
        try:
            org, people = demo_load(patient_count=patients, base_url=base_url, stdout=self.stdout)
        except DemoPullFailed as exc:
            raise CommandError(f"A vendor pull failed, the demo is incomplete: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Demo organization '{org.name}' ready with {len(people)} patients.")
        )
        self.stdout.write("Sign in at /accounts/login/ as:")
        for username, _first, _last, role, password in world.STAFF:
            self.stdout.write(f"  {username:<12} {password:<18} ({role})")
