"""Pages of the alert protocol (issue 17): the protocol page (every clinician reads it, an
organization admin changes it) and the live notice every page polls."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import staff_action
from portal.roles import may
from readings.care import notifications
from readings.care import protocol as rules
from readings.care.notifications_models import Channel, Notification
from readings.care.protocol_forms import ProtocolForm, RotaFormSet, RotaLineForm


@require_http_methods(["GET", "POST"])
@staff_action("patients.view")
def protocol(request):
    organization = request.organization
    current = rules.protocol_current(organization)
    people = list(rules.on_call_candidates(organization))
    can_edit = may(request.membership, "protocol.change")
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only an organization admin changes the alert protocol.")
    data = request.POST if request.method == "POST" else None
    form = ProtocolForm(data, people=people, initial=ProtocolForm.initial_from(current))
    rota = RotaFormSet(
        data,
        prefix="rota",
        form_kwargs={"people": people},
        initial=None if data else RotaLineForm.initial_from(current),
    )
    if data is not None and form.is_valid() and rota.is_valid():
        slots = [s for f in rota.forms if (s := f.slot()) is not None]
        try:
            rules.protocol_save(
                organization=organization,
                by=request.user,
                slots=slots,
                request=request,
                **form.service_arguments(),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(
                request, "Alert protocol saved. The previous version is in the history."
            )
            return redirect("care:protocol")
    now = timezone.now()
    on_call_now = rules.on_call(current, now)[0] if current else []
    return render(
        request,
        "care/protocol.html",
        {
            "protocol": current,
            "form": form,
            "rota": rota,
            "history": rules.protocol_history(organization),
            "on_call_now": on_call_now,
            "now_text": rules.moment_text(current, now) if current else "",
        },
        status=400 if data is not None else 200,
    )


# --- the live notice (templates/care/_notice_poller.html, included by base.html) -------------
@require_GET
@staff_action("patients.view")
def notices(request):
    """The signed-in person's unread notices. No patient data (tier, rule and a link), so the
    poll writes no audit event; opening the alert does."""
    return _notices(request)


def _notices(request):
    return render(
        request, "care/_notices.html", {"notices": notifications.notices_for(request.user)}
    )


def _own_notice(request, pk) -> Notification:
    """A notice of the signed-in person, or 404 (another's notice is not confirmed to exist)."""
    return get_object_or_404(Notification, pk=pk, recipient=request.user, channel=Channel.PORTAL)


@require_POST
@staff_action("patients.view")
def notice_open(request, pk):
    notice = _own_notice(request, pk)
    notifications.notice_mark_read(notification=notice)
    return redirect("care:alert", pk=notice.alert_id)


@require_POST
@staff_action("patients.view")
def notice_dismiss(request, pk):
    notifications.notice_mark_read(notification=_own_notice(request, pk))
    if request.htmx:
        return _notices(request)
    return redirect("home")
