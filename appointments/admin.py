from django.contrib import admin, messages

from appointments.models import (
    Appointment,
    AppointmentChange,
    AssistanceRequest,
    Attachment,
    Episode,
    ReportJob,
    VisitNote,
    WaitingRoom,
    WebhookDelivery,
    WebhookSubscription,
)
from appointments.services import webhooks
from portal.admin_scoping import OrganizationScopedAdmin, OrganizationScopedInline
from portal.audit import audit_event_record
from portal.http import VendorError


@admin.register(WaitingRoom)
class WaitingRoomAdmin(OrganizationScopedAdmin):
    list_display = ["name", "service_line", "service_type", "is_active", "organization"]
    list_filter = ["is_active"]
    readonly_fields = ["solo_id", "created_at", "updated_at"]


class ChangeInline(OrganizationScopedInline, admin.TabularInline):
    model = AppointmentChange
    extra = 0
    can_delete = False
    readonly_fields = ["at", "status", "starts_at", "source", "by", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(OrganizationScopedAdmin):
    list_display = ["solo_id", "starts_at", "status", "waiting_room", "patient", "organization"]
    list_filter = ["status", "waiting_room"]
    search_fields = ["solo_id", "patient__mrn"]
    list_select_related = ["patient", "waiting_room", "organization"]
    raw_id_fields = ["patient", "episode", "booked_by"]
    readonly_fields = ["solo_id", "said", "external_id", "synced_at", "created_at", "updated_at"]
    inlines = [ChangeInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        visit = self.get_object(request, object_id)
        if visit is not None:
            audit_event_record(
                action="appointment.view",
                request=request,
                patient=visit.patient,
                obj=visit,
                detail={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Episode)
class EpisodeAdmin(OrganizationScopedAdmin):
    list_display = ["name", "kind", "status", "starts_on", "ends_on", "patient"]
    list_filter = ["status"]
    raw_id_fields = ["patient"]
    readonly_fields = ["solo_id", "created_at", "updated_at"]


@admin.register(VisitNote)
class VisitNoteAdmin(OrganizationScopedAdmin):
    organization_path = "appointment__organization"
    list_display = ["appointment", "template_name", "updated_at", "updated_by"]
    readonly_fields = ["appointment", "template_name", "responses", "updated_by", "updated_at"]


@admin.register(Attachment)
class AttachmentAdmin(OrganizationScopedAdmin):
    organization_path = "appointment__organization"
    list_display = ["title", "mime_type", "size", "uploaded_at", "deleted_at", "appointment"]
    readonly_fields = ["solo_id", "appointment", "uploaded_by"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(OrganizationScopedAdmin):
    """Adding one here registers it with Solo (Add Webhook); the key Solo returns is stored
    encrypted and never shown."""

    list_display = ["receiver_id", "organization", "solo_id", "is_active", "created_at"]
    fields = ["organization", "events", "receiver_id", "solo_id", "endpoint", "is_active"]
    readonly_fields = ["receiver_id", "solo_id", "endpoint"]

    # Adding registers with Solo and removing deletes there: the admin wraps a POST in one
    # transaction, which would hold Solo's call open inside it. These two forms run without it;
    # the services record in their own short transactions (services.webhooks says what a crash
    # between Solo and the record leaves). Editing an existing row keeps the admin's transaction.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            return self._changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._delete_view(request, object_id, extra_context)

    def get_changeform_initial_data(self, request):
        return {"events": [*webhooks.APPOINTMENT_EVENTS, "episode:created", "episode:updated"]}

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        try:
            registered = webhooks.webhook_subscription_register(
                organization=obj.organization, events=obj.events
            )
        except VendorError as exc:
            messages.error(request, f"Not registered: {exc.staff_message}")
            raise
        obj.pk = registered.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        webhooks.webhook_subscription_remove(subscription=obj)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizationScopedAdmin):
    organization_path = "subscription__organization"
    # A failing delivery shows why (the error holds no PHI) and when it is tried next.
    list_display = [
        "received_at",
        "event",
        "object_id",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "processed_at",
    ]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AssistanceRequest)
class AssistanceRequestAdmin(OrganizationScopedAdmin):
    list_display = ["created_at", "device", "status", "created_by"]
    list_filter = ["status"]
    readonly_fields = ["solo_id", "location", "device", "created_by", "created_at", "cancelled_at"]


@admin.register(ReportJob)
class ReportJobAdmin(OrganizationScopedAdmin):
    list_display = ["created_at", "starts_on", "ends_on", "status", "requested_by"]
    list_filter = ["status"]
    readonly_fields = ["solo_id", "requested_by", "status"]
