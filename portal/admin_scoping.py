"""Admin for organization admins as well as superusers: a non-superuser sees and edits only
their own organization's rows, and opening a patient's record in admin is audited."""

from django.contrib import admin

from portal.access import membership_of


def admin_organization(request):
    if request.user.is_superuser:
        return None
    membership = membership_of(request.user)
    return membership.organization if membership else False


class OrganizationScopedAdmin(admin.ModelAdmin):
    """`organization_path` is the lookup from the model to its Organization."""

    organization_path = "organization"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        org = admin_organization(request)
        if org is None:
            return qs
        if org is False:
            return qs.none()
        return qs.filter(**{self.organization_path: org})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        org = admin_organization(request)
        if org not in (None, False):
            model = db_field.related_model
            from portal.models import Organization

            if model is Organization:
                kwargs["queryset"] = Organization.objects.filter(pk=org.pk)
            elif any(f.name == "organization" for f in model._meta.get_fields()):
                kwargs["queryset"] = model._default_manager.filter(organization=org)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return request.user.is_superuser or (
            (request.user.is_staff and admin_organization(request) not in (None, False))
            and super().has_module_permission(request)
        )
