"""Register the portal's `order.Status` receiver with Impilo for an organization."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devices.services.webhooks import impilo_webhook_register
from portal.http import VendorError
from portal.models import Organization


class Command(BaseCommand):
    help = "Register /webhooks/impilo/<id> with Impilo (order.Status); stores the secret encrypted."

    def add_arguments(self, parser):
        parser.add_argument("organization", help="organization slug")
        parser.add_argument("--base-url", default=settings.PORTAL_BASE_URL)

    def handle(self, *args, organization, base_url, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with slug {organization!r}.")
        try:
            webhook = impilo_webhook_register(organization=org, base_url=base_url)
        except VendorError as exc:
            raise CommandError(exc.staff_message) from exc
        self.stdout.write(f"Registered Impilo webhook {webhook.impilo_id} → {webhook.endpoint}")
