"""Enforces the second sign-in step for every session-authenticated request.

After the password, a user who has a second factor reaches nothing but the second step (and
sign-out) until it is done; a user whom the policy requires to have one (organization setting,
or any superuser) reaches nothing but enrolment. Deny by default: a view is reachable only if
it is on the list for that step, so a new page or endpoint is covered without doing anything.
Pages redirect (HTMX requests get HX-Redirect); the session API and the passkey endpoints answer
403 JSON. API keys
(`Authorization: Bearer`), webhooks and the sandbox carry no session and are not affected.
"""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from portal.second_factor import selectors, services

VERIFY = "verify"
ENROL = "enrol"
PASSKEY_PATH = "/accounts/passkeys/"
EXEMPT_PREFIXES = ("/webhooks/", "/sandbox/", "/static/", "/healthz", "/readyz")
ALWAYS = {"logout", "admin:logout", "second_factor:verify", "otp_webauthn:js-i18n-catalog"}
ALLOWED = {
    VERIFY: ALWAYS
    | {
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
    },
    ENROL: ALWAYS
    | {
        "second_factor:security",
        "second_factor:app_setup",
        "second_factor:device_remove",
        "second_factor:backup_codes",
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "password_change",
        "password_change_done",
    },
}
MESSAGES = {
    VERIFY: ("second_factor_required", "Complete the second sign-in step in the portal first."),
    ENROL: (
        "second_factor_enrolment_required",
        "Your organization requires a second factor: set one up in the portal first.",
    ),
}


def second_factor_step(request) -> str | None:
    """What the signed-in user must do before anything else: VERIFY, ENROL or nothing."""
    enrolled = request.session.get(services.ENROLLED_SESSION_KEY)
    if enrolled is None:  # a session from before this feature, or a test's force_login
        enrolled = services.session_enrolment_record(request)
    if enrolled:
        return None if request.user.is_verified() else VERIFY
    return ENROL if selectors.second_factor_required_for(request.user) else None


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(EXEMPT_PREFIXES):
            return None
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None  # DRF authenticates the API key first; the session plays no part
        if not request.user.is_authenticated:
            return None
        step = second_factor_step(request)
        if step is None or request.resolver_match.view_name in ALLOWED[step]:
            return None
        return refusal(request, step)


def refusal(request, step: str):
    code, message = MESSAGES[step]
    if request.path.startswith("/api/"):
        return JsonResponse({"error": code, "message": message, "fields": {}}, status=403)
    if request.path.startswith(PASSKEY_PATH):  # django-otp-webauthn's script reads its own shape
        return JsonResponse({"detail": message, "code": code}, status=403)
    target = reverse("second_factor:verify" if step == VERIFY else "second_factor:security")
    if request.method == "GET" and not request.htmx:
        target += "?" + urlencode({"next": request.get_full_path()})
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)
