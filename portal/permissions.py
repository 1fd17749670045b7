"""Django-admin model permissions for organization admins (their rows are scoped separately,
in portal.admin_scoping)."""

from django.contrib.auth.models import Group, Permission

ORG_ADMIN_GROUP = "Organization admins"
# Apps whose models an organization admin manages in Django admin.
ORG_ADMIN_APPS = ("portal", "devices", "readings", "care", "appointments")
NEVER = {
    "add_organization",
    "delete_organization",
    "add_auditevent",
    "change_auditevent",
    "delete_auditevent",
}


def org_admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ORG_ADMIN_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=ORG_ADMIN_APPS).exclude(
        codename__in=NEVER
    )
    group.permissions.set(perms)
    return group


def grant_org_admin_permissions(user) -> None:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(org_admin_group())
