"""The signed-in person's profile: the time zone their work queues are shown in.

One small page, its form and its write, kept together (other helpers grow views.py and
services.py in parallel; this concern stands on its own)."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateformat import format as date_format

from portal.access import ANY_STAFF, staff_view
from portal.audit import audit_event_record
from portal.models import Membership, validate_time_zone
from portal.timezones import zone_choices


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Show work lists in",
        help_text="Alerts, worklists, time entries, device events and the day's visits use this "
        "zone. A patient's own data is always shown in the patient's local time.",
        validators=[validate_time_zone],
    )

    def __init__(self, *args, organization_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)  # narrows the type for mypy
        field.choices = [
            ("", f"The organization's zone ({organization_zone.replace('_', ' ')})"),
            *zone_choices(),
        ]
        field.required = False


@transaction.atomic
def membership_time_zone_set(*, membership: Membership, time_zone: str, request=None) -> None:
    """Store the zone `membership`'s work queues are shown in ("" = the organization's)."""
    if time_zone:
        validate_time_zone(time_zone)
    before = membership.time_zone
    membership.time_zone = time_zone
    membership.save(update_fields=["time_zone"])
    audit_event_record(
        action="membership.time_zone",
        request=request,
        obj=membership,
        detail={"from": before, "to": time_zone},
    )


@staff_view(*ANY_STAFF)
def profile(request):
    membership = request.membership
    form = ProfileForm(
        request.POST or None,
        initial={"time_zone": membership.time_zone},
        organization_zone=membership.organization.time_zone,
    )
    if request.method == "POST" and form.is_valid():
        membership_time_zone_set(
            membership=membership, time_zone=form.cleaned_data["time_zone"], request=request
        )
        messages.success(request, "Saved: work lists now show times in the zone you chose.")
        return redirect("profile")
    zone = membership.viewer_tz
    now = timezone.now().astimezone(zone)
    return render(
        request,
        "portal/profile.html",
        {
            "form": form,
            "zone": zone.key.replace("_", " "),
            "now_there": date_format(now, "g:i A T"),
            "uses_default": not membership.time_zone,
        },
    )
