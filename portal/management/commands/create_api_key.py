from django.core.management.base import BaseCommand, CommandError

from portal.models import ApiKey, ApiScope, Organization


class Command(BaseCommand):
    help = "Create an integrator API key for an organization and print it once."

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("--name", required=True, help="what the key is for, e.g. 'device hub'")
        parser.add_argument(
            "--scope",
            action="append",
            choices=[s.value for s in ApiScope],
            help="limit the key to these scopes (repeatable; default: all)",
        )

    def handle(self, *args, organization, name, scope, **options):
        try:
            org = Organization.objects.get(slug=organization)
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {organization!r}.") from None
        key, raw = ApiKey.generate(organization=org, name=name, scopes=scope)
        self.stdout.write(raw)
        self.stderr.write(
            f"Key {key.prefix}… created for {org.slug} with scopes {', '.join(key.scopes)}. "
            "It is stored hashed: copy it now, it cannot be shown again."
        )
