import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.models import Membership, Organization, Role


class Command(BaseCommand):
    help = "Create a staff user in an organization with a role (nurse, coordinator, org_admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--organization", required=True, help="organization slug")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="omit to be prompted (a password on the command line is logged)"
        )

    @transaction.atomic
    def handle(self, *args, username, organization, role, password, **opts):
        try:
            org = Organization.objects.get(slug=organization)
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {organization!r}.") from None
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            raise CommandError(f"User {username!r} already exists.")
        if password is None:
            password = getpass.getpass("Password: ")
        user = user_model(
            username=username,
            first_name=opts["first_name"],
            last_name=opts["last_name"],
            email=opts["email"],
            is_staff=role == Role.ORG_ADMIN,  # org admins use Django admin, scoped to their org
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, organization=org, role=role)
        if role == Role.ORG_ADMIN:
            from portal.permissions import grant_org_admin_permissions

            grant_org_admin_permissions(user)
        self.stdout.write(f"Created {role} {username} in {org.slug}.")
