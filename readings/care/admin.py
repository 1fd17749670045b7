from django.contrib import admin

from portal.admin_scoping import OrganizationScopedInline
from readings.admin import ReadOnlyAdmin
from readings.care.models import TimeEntry, TimeEntryRevision


class RevisionInline(OrganizationScopedInline, admin.TabularInline):
    model = TimeEntryRevision
    extra = 0
    can_delete = False
    readonly_fields = ["action", "editor", "api_key", "before", "after", "at"]


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "day", "seconds", "activity", "counts_toward", "performed_by"]
    list_filter = ["activity", "counts_toward", "contact_medium"]
    raw_id_fields = ["patient", "author", "performed_by", "appointment"]
    readonly_fields = [f.name for f in TimeEntry._meta.concrete_fields]
    inlines = [RevisionInline]
