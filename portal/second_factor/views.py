"""Pages: Account security (enrol and remove devices, backup codes), the second sign-in step,
and the organization admin's policy page. Thin: parse, call a service or selector, render."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.access import staff_action
from portal.second_factor import selectors, services
from portal.second_factor.forms import CodeForm, PolicyForm
from portal.second_factor.webauthn import passkeys_possible


def _security_context(request):
    user = request.user
    return {
        "apps": selectors.authenticator_apps(user),
        "passkeys": selectors.passkeys(user),
        "backup_codes_left": selectors.backup_codes_left(user),
        "has_second_factor": selectors.user_has_second_factor(user),
        "required": selectors.second_factor_required_for(user),
        "passkeys_possible": passkeys_possible(request),
    }


@login_required
@never_cache
def security(request):
    services.session_enrolment_record(request)
    context = _security_context(request)
    if context["required"] and not context["has_second_factor"]:
        context["nav_items"] = []  # every other page sends the user back here until enrolled
        messages.warning(
            request,
            "Your organization requires a second factor. Add an authenticator app or a passkey "
            "to continue.",
        )
    return render(request, "second_factor/security.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def app_setup(request):
    try:
        device = services.totp_device_pending(request=request)
    except services.SecondFactorError as exc:
        messages.error(request, str(exc))
        return redirect("second_factor:security")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(
            request=request, device=device, token=form.cleaned_data["code"]
        ):
            messages.success(request, "Authenticator app added.")
            if selectors.backup_codes_left(request.user) == 0:
                return _backup_codes_page(request, services.backup_codes_issue(request=request))
            return redirect("second_factor:security")
        form.add_error("code", "That code is not right. Check the app's clock and try again.")
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "second_factor/app_setup.html",
        {
            "form": form,
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(
                scale=5, border=2, svgclass="qr", title="QR code for your authenticator app"
            ),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "secret": secret,
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    if request.method == "GET":  # codes are shown once, as the answer to making them
        return redirect("second_factor:security")
    try:
        codes = services.backup_codes_issue(request=request)
    except services.SecondFactorError as exc:
        messages.error(request, str(exc))
        return redirect("second_factor:security")
    return _backup_codes_page(request, codes)


def _backup_codes_page(request, codes):
    return render(
        request,
        "second_factor/backup_codes.html",
        {"codes": [f"{c[:4]}-{c[4:]}" for c in codes], "made_at": timezone.now()},
    )


@login_required
@require_POST
def device_remove(request, kind, pk):
    try:
        services.device_remove(request=request, kind=kind, pk=pk)
    except services.SecondFactorError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Device removed.")
    return redirect("second_factor:security")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    next_url = services.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    enrolled = services.session_enrolment_record(request)
    if not enrolled or request.user.is_verified():
        return redirect(next_url or "home")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        result = services.second_factor_verify(request=request, token=form.cleaned_data["code"])
        if result.ok:
            if result.method == "backup_code":
                left = selectors.backup_codes_left(request.user)
                messages.warning(
                    request,
                    f"You signed in with a backup code; {left} left. Make new ones on the "
                    "Account security page.",
                )
            return redirect(next_url or "home")
        if result.retry_at:
            wait = max(1, int((result.retry_at - timezone.now()).total_seconds()) + 1)
            form.add_error("code", f"Too many wrong codes. Wait {wait} seconds, then try again.")
        else:
            form.add_error("code", "That code is not right. Try again.")
    user = request.user
    return render(
        request,
        "second_factor/verify.html",
        {
            "form": form,
            "next": next_url,
            "has_app": selectors.authenticator_apps(user).exists(),
            "has_passkey": selectors.passkeys(user).exists(),
            "backup_codes_left": selectors.backup_codes_left(user),
            "passkeys_possible": passkeys_possible(request),
            # Half signed in: no menu of pages that would only send the user back here.
            "second_step": True,
            "nav_items": [],
        },
    )


@staff_action("organization.security")
@never_cache
@require_http_methods(["GET", "POST"])
def organization_security(request):
    organization = request.organization
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"require_second_factor": organization.require_second_factor},
    )
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["require_second_factor"]
        try:
            services.organization_policy_set(
                request=request, organization=organization, required=required
            )
        except services.SecondFactorError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "Staff must now sign in with a second factor."
                if required
                else "A second factor is now optional for staff.",
            )
        return redirect("second_factor:organization")
    staff = list(selectors.staff_second_factor_overview(organization))
    return render(
        request,
        "second_factor/organization.html",
        {
            "form": form,
            "staff": staff,
            "enrolled_count": sum(1 for m in staff if m.has_app or m.has_passkey),
        },
    )


@staff_action("organization.security")
@require_POST
def member_reset(request, user_id):
    try:
        membership = services.member_second_factor_reset(
            request=request, organization=request.organization, user_id=user_id
        )
    except services.SecondFactorError as exc:
        messages.error(request, str(exc))
    else:
        name = membership.user.get_full_name() or membership.user.username
        messages.success(request, f"{name}'s second factor was reset; they enrol again.")
    return redirect("second_factor:organization")
