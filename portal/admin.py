from django.contrib import admin, messages

from portal.admin_scoping import OrganizationScopedAdmin
from portal.audit import audit_event_record
from portal.models import (
    ApiKey,
    AuditEvent,
    Membership,
    Organization,
    Patient,
    Site,
    SyncRun,
    VendorAccount,
)


@admin.register(Organization)
class OrganizationAdmin(OrganizationScopedAdmin):
    list_display = ["name", "slug", "time_zone", "impilo_customer_id", "solo_brand"]
    search_fields = ["name", "slug"]
    # The organization's tenant ids at the vendors: set by a superuser at onboarding (pointing
    # them elsewhere would sync another customer's data in).
    VENDOR_IDS = ["slug", "impilo_customer_id", "solo_brand", "patient_graph_brand_id"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else [*fields, *self.VENDOR_IDS]


@admin.register(Site)
class SiteAdmin(OrganizationScopedAdmin):
    list_display = ["name", "organization", "impilo_site_id", "is_vendor_site", "time_zone"]
    list_filter = ["is_vendor_site"]


@admin.register(Patient)
class PatientAdmin(OrganizationScopedAdmin):
    list_display = ["mrn", "last_name", "first_name", "time_zone", "is_active", "organization"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["mrn", "last_name", "first_name"]
    readonly_fields = ["created_at", "updated_at"]
    list_select_related = ["organization"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        patient = self.get_object(request, object_id)
        if patient is not None:
            audit_event_record(
                action="patient.view",
                request=request,
                patient=patient,
                obj=patient,
                detail={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Membership)
class MembershipAdmin(OrganizationScopedAdmin):
    list_display = ["user", "organization", "role", "clinical_staff", "created_at"]
    list_filter = ["role", "clinical_staff"]
    search_fields = ["user__username", "user__last_name"]


@admin.register(ApiKey)
class ApiKeyAdmin(OrganizationScopedAdmin):
    list_display = ["name", "prefix", "organization", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at", "created_by"]
    fields = [
        "organization",
        "name",
        "scopes",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        key, raw = ApiKey.generate(
            organization=obj.organization, name=obj.name, scopes=obj.scopes, created_by=request.user
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        messages.warning(
            request,
            f"The new API key is {raw} — copy it now: it is stored hashed and not shown again.",
        )

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            key.revoke()
            audit_event_record(
                action="api_key.revoke", request=request, obj=key, organization=key.organization
            )


@admin.register(VendorAccount)
class VendorAccountAdmin(OrganizationScopedAdmin):
    """Only superusers set where the portal calls (base URL, checked against the allow-list)
    and add accounts; organization admins may rotate credentials and switch one off."""

    list_display = ["organization", "vendor", "base_url", "is_enabled", "updated_at"]
    list_filter = ["vendor", "is_enabled"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return [*fields, "organization", "vendor", "base_url"]

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(AuditEvent)
class AuditEventAdmin(OrganizationScopedAdmin):
    list_display = [
        "at",
        "action",
        "actor",
        "api_key",
        "patient_id",
        "object_type",
        "object_id",
        "ip",
    ]
    list_filter = ["action"]
    date_hierarchy = "at"
    list_select_related = ["actor", "api_key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(OrganizationScopedAdmin):
    list_display = [
        "kind",
        "organization",
        "status",
        "started_at",
        "finished_at",
        "processed",
        "created",
        "updated",
    ]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    def has_add_permission(self, request):
        return False
