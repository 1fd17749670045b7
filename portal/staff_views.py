"""Pages: the organization admin's Staff page (members, invitations, one member's role and
status) and the invitee's sign-up page. Thin: parse, call a service or selector, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import staff_selectors as selectors
from portal import staff_services as services
from portal.access import staff_action
from portal.staff_forms import InviteForm, MemberForm, SignUpForm, clinical_choice

# The sign-up link's token is moved from the URL into the session (as Django's password reset
# does), so it does not stay in the address bar, the history or a Referer header.
JOIN_SESSION_KEY = "staff_invite_token"
# django-axes' backend only throttles password checks; the new account is signed in directly.
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _name(user) -> str:
    return user.get_full_name() or user.username


@staff_action("staff.manage")
@never_cache
@require_GET
def staff_list(request):
    organization = request.organization
    return render(
        request,
        "portal/staff/list.html",
        {
            "members": list(selectors.staff_roster(organization)),
            "invites": list(selectors.open_invites(organization)),
        },
    )


@staff_action("staff.manage")
@never_cache
@require_http_methods(["GET", "POST"])
def invite(request):
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sent_invite, sent = services.staff_invite_send(
                organization=request.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                clinical_staff=form.clinical_staff_value,
                by=request.user,
                request=request,
            )
        except services.StaffRefused as exc:
            form.add_error("email", str(exc))
        else:
            _sent_message(request, sent_invite, sent)
            return redirect("staff:list")
    return render(
        request,
        "portal/staff/invite.html",
        {"form": form, "invite_days": settings.STAFF_INVITE_DAYS},
    )


def _sent_message(request, sent_invite, sent: bool) -> None:
    if sent:
        messages.success(request, f"Invitation sent to {sent_invite.email}.")
    else:
        messages.error(
            request,
            f"The invitation to {sent_invite.email} is saved, but the mail server did not take "
            "the email. Try “Send again” later.",
        )


@staff_action("staff.manage")
@require_POST
def invite_resend(request, pk):
    old = selectors.invite_for_org(request.organization, pk)
    try:
        new, sent = services.staff_invite_resend(invite=old, by=request.user, request=request)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        _sent_message(request, new, sent)
    return redirect("staff:list")


@staff_action("staff.manage")
@require_POST
def invite_revoke(request, pk):
    row = selectors.invite_for_org(request.organization, pk)
    try:
        services.staff_invite_revoke(invite=row, by=request.user, request=request)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation to {row.email} revoked: its link no longer works.")
    return redirect("staff:list")


@staff_action("staff.manage")
@never_cache
@require_http_methods(["GET", "POST"])
def member(request, user_id):
    membership = selectors.member_for_org(request.organization, user_id)
    initial = {
        "role": membership.role,
        "clinical_staff": clinical_choice(membership.clinical_staff),
    }
    form = MemberForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_member_change(
                membership=membership,
                role=form.cleaned_data["role"],
                clinical_staff=form.clinical_staff_value,
                by=request.user,
                request=request,
            )
        except services.StaffRefused as exc:
            form.add_error("role", str(exc))
        else:
            messages.success(request, f"{_name(membership.user)}'s role was saved.")
            return redirect("staff:list")
    return render(
        request,
        "portal/staff/member.html",
        {
            "member": membership,
            "form": form,
            "is_self": membership.user_id == request.user.pk,
            "api_keys": services.api_keys_created_by(membership.user, request.organization),
        },
    )


@staff_action("staff.manage")
@require_POST
def member_deactivate(request, user_id):
    membership = selectors.member_for_org(request.organization, user_id)
    try:
        services.staff_member_deactivate(membership=membership, by=request.user, request=request)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
        return redirect("staff:member", user_id)
    keys = services.api_keys_created_by(membership.user, request.organization)
    text = f"{_name(membership.user)} is deactivated and signed out everywhere."
    if keys:
        which = (
            "The API key they created still works"
            if keys == 1
            else (f"The {keys} API keys they created still work")
        )
        text += f" {which} for its integration: revoke it in Admin → API keys if they kept a copy."
    messages.success(request, text)
    return redirect("staff:list")


@staff_action("staff.manage")
@require_POST
def member_reactivate(request, user_id):
    membership = selectors.member_for_org(request.organization, user_id)
    try:
        services.staff_member_reactivate(membership=membership, by=request.user, request=request)
    except services.StaffRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{_name(membership.user)} can sign in again.")
    return redirect("staff:member", user_id)


# --- the invitee's sign-up page (no login: the link's token is the credential) --------------
def _unusable(request, exc: services.InviteNotUsable):
    request.session.pop(JOIN_SESSION_KEY, None)
    return render(
        request,
        "portal/staff/join_unusable.html",
        {"problem": str(exc), "reason": exc.reason},
        status=404 if exc.reason == "unknown" else 410,
    )


def _signed_in(request):
    return render(request, "portal/staff/join_signed_in.html", status=409)


@never_cache
@require_GET
def join(request, token):
    if request.user.is_authenticated:
        return _signed_in(request)
    try:
        services.invite_usable(token)
    except services.InviteNotUsable as exc:
        return _unusable(request, exc)
    request.session[JOIN_SESSION_KEY] = token
    return redirect("staff:join_form")


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def join_form(request):
    if request.user.is_authenticated:
        return _signed_in(request)
    token = request.session.get(JOIN_SESSION_KEY, "")
    try:
        pending = services.invite_usable(token)
    except services.InviteNotUsable as exc:
        return _unusable(request, exc)
    user_model = get_user_model()
    form = SignUpForm(
        request.POST if request.method == "POST" else None,
        instance=user_model(email=pending.email),
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invite_accept(
                raw_token=token, user=form.save(commit=False), request=request
            )
        except services.InviteNotUsable as exc:
            return _unusable(request, exc)
        except services.StaffRefused as exc:
            form.add_error("username", str(exc))
        else:
            request.session.pop(JOIN_SESSION_KEY, None)
            login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(
                request,
                f"Welcome, {user.first_name}. You are signed in to {pending.organization.name}.",
            )
            return redirect("home")  # the second-factor set-up first, when the policy says so
    return render(request, "portal/staff/join.html", {"form": form, "invite": pending})
