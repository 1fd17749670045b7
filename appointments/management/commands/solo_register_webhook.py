"""Register the portal's webhook with Solo for an organization (Add Webhook, seed 003), for
every event the document lists: patients, appointments and episodes."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from appointments.services import webhooks
from portal.http import VendorError
from portal.models import Organization


class Command(BaseCommand):
    help = "Register /webhooks/solo/<id> with Solo for an organization; stores the key encrypted."

    def add_arguments(self, parser):
        parser.add_argument("organization", help="organization slug")
        parser.add_argument("--base-url", default=settings.PORTAL_BASE_URL)

    def handle(self, *args, organization, base_url, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with slug {organization!r}.")
        try:
            sub = webhooks.webhook_subscription_register(
                organization=org,
                base_url=base_url,
                events=webhooks.SOLO_EVENTS,  # every event seed 003 lists
            )
        except VendorError as exc:
            raise CommandError(exc.staff_message) from exc
        self.stdout.write(f"Registered Solo webhook {sub.solo_id} → {sub.endpoint}")
