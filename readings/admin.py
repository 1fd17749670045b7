"""Readings in Django admin: read-only for everyone but superusers (readings come from devices
and vendors; a correction is a new reading, never an edit), scoped to the admin's organization,
and opening one is audited."""

from django.contrib import admin

from portal.admin_scoping import OrganizationScopedAdmin, OrganizationScopedInline
from portal.audit import audit_event_record
from readings.models import Alert, AlertEvent, OutboxMessage, Reading, ThresholdRule


class ReadOnlyUnlessSuperuser:
    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or super().has_view_permission(request, obj)


@admin.register(Reading)
class ReadingAdmin(ReadOnlyUnlessSuperuser, OrganizationScopedAdmin):
    list_display = ["id", "patient", "metric", "value", "unit", "measured_at", "source", "manual"]
    list_filter = ["metric", "source", "manual"]
    search_fields = ["patient__mrn", "source_record_id"]
    date_hierarchy = "measured_at"
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "device", "entered_by"]
    show_full_result_count = False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reading = self.get_object(request, object_id)
        if reading is not None:
            audit_event_record(
                action="reading.view",
                request=request,
                patient=reading.patient,
                obj=reading,
                detail={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        audit_event_record(action="reading.list", request=request, detail={"via": "admin"})
        return super().changelist_view(request, extra_context)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyUnlessSuperuser, OrganizationScopedAdmin):
    list_display = ["id", "vendor", "operation", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "vendor"]
    exclude = ["payload"]
    raw_id_fields = ["reading"]


@admin.register(ThresholdRule)
class ThresholdRuleAdmin(OrganizationScopedAdmin):
    """Organization defaults are edited here by admins; patient overrides on the patient's
    thresholds page (they need a reason and keep their history)."""

    # Values here are in the metric's canonical unit (lb, °F, mg/dL); `days` is a weight-gain
    # rule's window, so 3 lb / 1 day and 5 lb / 7 days are two rules.
    list_display = ["__str__", "organization", "patient", "value", "days", "severity", "is_active"]
    list_filter = ["kind", "severity", "is_active"]
    raw_id_fields = ["patient"]
    readonly_fields = [
        "created_at",
        "superseded_at",
        "superseded_by",
        "created_by",
        "entered_value",
        "entered_unit",
    ]


class AlertEventInline(OrganizationScopedInline, admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "api_key", "note", "at"]


class ReadOnlyAdmin(OrganizationScopedAdmin):
    """Alerts (and care's time entries) change only through their services (audited, with
    history)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "severity", "status", "breach_count", "last_triggered_at"]
    list_filter = ["status", "severity", "kind"]
    raw_id_fields = ["patient", "rule"]
    readonly_fields = [f.name for f in Alert._meta.concrete_fields]
    inlines = [AlertEventInline]
