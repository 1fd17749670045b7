from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

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


class WebhookSubscriptionForm(forms.ModelForm):
    class Meta:
        model = WebhookSubscription
        fields = ["organization", "events"]

    def clean_events(self):
        """Seed 003 lists the events Add/Update Webhook take; refuse others here, in words,
        rather than let Solo answer 400."""
        events = self.cleaned_data.get("events")
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(e, str) for e in events)
        ):
            raise forms.ValidationError('Give a list of events, e.g. ["patient:deactivated"].')
        unknown = [e for e in events if e not in webhooks.SOLO_EVENTS]
        if unknown:
            known = ", ".join(webhooks.SOLO_EVENTS)
            raise forms.ValidationError(
                f"Not a Solo event: {', '.join(unknown)}. Solo sends: {known}."
            )
        return list(dict.fromkeys(events))


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(OrganizationScopedAdmin):
    """Add, change and delete go through Solo first (Add Webhook, Update Webhook, Delete
    Webhook); the key Solo returns is stored encrypted and never shown. "Check with Solo" shows
    what Solo holds (Webhooks Collection and Get Webhook). Solo's refusals and outages are
    admin messages, and the row is left as it was."""

    form = WebhookSubscriptionForm
    list_display = ["receiver_id", "organization", "solo_id", "is_active", "created_at"]
    fields = ["organization", "events", "receiver_id", "solo_id", "endpoint", "is_active"]
    actions = ["check_with_solo"]

    def get_readonly_fields(self, request, obj=None):
        # Deleting is how a subscription ends (Delete Webhook); it never moves organization.
        if obj is None:
            return ["receiver_id", "solo_id", "endpoint", "is_active"]
        return ["organization", "receiver_id", "solo_id", "endpoint", "is_active"]

    # Every form here calls Solo: the admin wraps a POST in one transaction, which would hold
    # Solo's call open inside it. These forms run without it; the services record in their own
    # short transactions (services.webhooks says what a crash between Solo and the record leaves).
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._delete_view(request, object_id, extra_context)

    def get_changeform_initial_data(self, request):
        return {"events": list(webhooks.SOLO_EVENTS)}

    def save_model(self, request, obj, form, change):
        request.solo_refused = False
        try:
            if change:
                events = obj.events
                obj.refresh_from_db(fields=["events"])  # the row keeps its events until Solo agrees
                webhooks.webhook_subscription_update(subscription=obj, events=events)
            else:
                registered = webhooks.webhook_subscription_register(
                    organization=obj.organization, events=obj.events
                )
                obj.pk = registered.pk
                obj.refresh_from_db()
        except VendorError as exc:
            request.solo_refused = True
            verb = "changed" if change else "registered"
            messages.error(request, f"Not {verb}. {exc.staff_message}")

    def log_addition(self, request, obj, message):
        if not getattr(request, "solo_refused", False):
            super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        if not getattr(request, "solo_refused", False):
            super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "solo_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "solo_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        try:
            webhooks.webhook_subscription_remove(subscription=obj)
        except VendorError as exc:
            request.solo_refused = True
            messages.error(request, f"Not deleted. {exc.staff_message}")

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "solo_refused", False):
            return HttpResponseRedirect(
                reverse("admin:appointments_webhooksubscription_change", args=[obj_id])
            )
        return super().response_delete(request, obj_display, obj_id)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete would skip Delete Webhook in Solo
        return actions

    @admin.action(description="Check with Solo (what Solo holds for these webhooks)")
    def check_with_solo(self, request, queryset):
        for subscription in queryset:
            self._report_check(request, subscription)

    def _report_check(self, request, subscription):
        name = f"Webhook {subscription.solo_id or subscription.receiver_id}"
        if not subscription.solo_id:
            messages.warning(request, f"{name}: never registered with Solo.")
            return
        try:
            found = webhooks.webhook_subscription_check(subscription=subscription)
        except VendorError as exc:
            messages.error(request, f"{name}: not checked. {exc.staff_message}")
            return
        listed = "listed" if found["listed"] else "not listed"
        if not found["exists"]:
            messages.warning(
                request,
                f"{name}: Solo holds no such webhook ({listed} among its "
                f"{found['listed_count']}); register it again.",
            )
            return
        problems = [
            text
            for ok, text in (
                (found["endpoint_matches"], f"endpoint in Solo is {found['endpoint']}"),
                (found["events_match"], f"events in Solo are {', '.join(found['events'])}"),
                (found["key_matches"], "Solo's encryption key differs from the stored one"),
                (found["listed"], "it is missing from Solo's Webhooks Collection"),
            )
            if not ok
        ]
        if problems:
            messages.warning(request, f"{name}: differs from Solo: {'; '.join(problems)}.")
        else:
            messages.success(
                request,
                f"{name}: Solo holds it as stored — {found['endpoint']}; "
                f"events: {', '.join(found['events'])}.",
            )


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
