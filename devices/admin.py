"""Django admin for the device mirror. Organization admins see only their organization's rows
(OrganizationScopedAdmin); history rows are read-only (they are written by services)."""

from django.contrib import admin

from devices.models import Device, DeviceAssignment, DeviceStatusChange, Item, SmartMeterConnection
from portal.admin_scoping import OrganizationScopedAdmin, OrganizationScopedInline, SharedDataAdmin


@admin.register(Item)
class ItemAdmin(SharedDataAdmin):
    """The catalogue every organization shares: read-only to organization admins."""

    list_display = ["name", "kind", "impilo_item_id", "is_serialized"]
    list_filter = ["kind"]
    search_fields = ["name"]


class StatusChangeInline(OrganizationScopedInline, admin.TabularInline):
    model = DeviceStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "changed_by", "changed_at"]

    def has_add_permission(self, request, obj=None):
        return False


class AssignmentInline(OrganizationScopedInline, admin.TabularInline):
    model = DeviceAssignment
    fk_name = "device"
    extra = 0
    can_delete = False
    fields = ["patient", "assigned_at", "ended_at", "ended_reason", "replaced_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Device)
class DeviceAdmin(OrganizationScopedAdmin):
    list_display = ["identifier", "item", "source", "current_status", "site", "assigned_patient"]
    list_filter = ["current_status", "source", "item__kind"]
    search_fields = ["identifier", "impilo_device_id"]
    list_select_related = ["item", "site", "assigned_patient"]
    raw_id_fields = ["assigned_patient"]
    readonly_fields = ["last_synced_at", "created_at", "updated_at"]
    inlines = [AssignmentInline, StatusChangeInline]


@admin.register(DeviceStatusChange)
class DeviceStatusChangeAdmin(OrganizationScopedAdmin):
    organization_path = "device__organization"
    list_display = ["device", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status"]
    list_select_related = ["device__item", "changed_by"]
    readonly_fields = ["device", "from_status", "to_status", "note", "changed_by", "changed_at"]

    def has_add_permission(self, request):
        return False


@admin.register(DeviceAssignment)
class DeviceAssignmentAdmin(OrganizationScopedAdmin):
    organization_path = "device__organization"
    list_display = ["device", "patient", "assigned_at", "ended_at", "ended_reason"]
    list_filter = ["ended_reason"]
    list_select_related = ["device__item", "patient"]
    readonly_fields = [
        "device",
        "patient",
        "assigned_at",
        "ended_at",
        "ended_reason",
        "replaced_by",
        "assigned_by",
        "ended_by",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(SmartMeterConnection)
class SmartMeterConnectionAdmin(OrganizationScopedAdmin):
    organization_path = "patient__organization"
    list_display = ["imei", "device_type", "patient", "created_at", "deleted_at"]
    list_filter = ["device_type"]
    search_fields = ["imei"]
    list_select_related = ["patient"]
    readonly_fields = ["created_at", "deleted_at", "deleted_reason"]
    raw_id_fields = ["patient", "device"]
