from django.contrib import admin

from portal.admin_scoping import OrganizationScopedAdmin, OrganizationScopedInline
from readings.care.models import Alert, AlertEvent, ThresholdRule, TimeEntry, TimeEntryRevision


@admin.register(ThresholdRule)
class ThresholdRuleAdmin(OrganizationScopedAdmin):
    """Organization defaults are edited here by admins; patient overrides on the patient's
    thresholds page (they need a reason and keep their history)."""

    list_display = ["__str__", "organization", "patient", "value", "severity", "is_active"]
    list_filter = ["kind", "severity", "is_active"]
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at", "superseded_at", "superseded_by", "created_by"]


class AlertEventInline(OrganizationScopedInline, admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "actor", "api_key", "note", "at"]


class ReadOnlyAdmin(OrganizationScopedAdmin):
    """Alerts and time entries change only through their services (audited, with history)."""

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


class RevisionInline(OrganizationScopedInline, admin.TabularInline):
    model = TimeEntryRevision
    extra = 0
    can_delete = False
    readonly_fields = ["action", "editor", "api_key", "before", "after", "at"]


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "day", "minutes", "activity", "interactive", "author"]
    list_filter = ["activity", "interactive"]
    raw_id_fields = ["patient", "author"]
    readonly_fields = [f.name for f in TimeEntry._meta.concrete_fields]
    inlines = [RevisionInline]
