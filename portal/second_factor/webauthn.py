"""Passkeys (WebAuthn) through django-otp-webauthn: where the relying party is, and the
library's four ceremony endpoints wrapped so each result is audited.

The relying-party id is a host name (browsers refuse an IP address): `WEBAUTHN_RP_ID`, or the
host the request came in on, which Django has already checked against ALLOWED_HOSTS.
"""

import ipaddress
import json

from django.conf import settings
from django.http import JsonResponse
from django.http.request import split_domain_port
from django_otp_webauthn import views as library
from django_otp_webauthn.helpers import WebAuthnHelper

from portal.second_factor import services


def relying_party_id(request) -> str:
    return settings.WEBAUTHN_RP_ID or split_domain_port(request.get_host())[0].strip("[]")


def passkeys_possible(request) -> bool:
    """False when the portal is reached by an IP address and no WEBAUTHN_RP_ID is set: no
    browser will create or use a passkey for an IP address."""
    try:
        ipaddress.ip_address(relying_party_id(request))
    except ValueError:
        return True
    return False


class PortalWebAuthnHelper(WebAuthnHelper):
    def get_allowed_origins(self) -> list[str]:
        if settings.WEBAUTHN_ORIGINS:
            return list(settings.WEBAUTHN_ORIGINS)
        return [f"{self.request.scheme}://{self.request.get_host()}"]


class BeginRegistration(library.BeginCredentialRegistrationView):
    pass


class CompleteRegistration(library.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        services.passkey_registered(request=self.request, device_id=_device_id(response))
        return response

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        services.second_factor_event(
            request=self.request,
            action="second_factor.device_add_fail",
            detail={"kind": "passkey", "reason": getattr(exc, "code", "error")},
        )
        return response


class BeginAuthentication(library.BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(library.CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        super().complete_auth(device)
        services.second_factor_verified(request=self.request, device=device, method="passkey")

    def get_redirect_url(self):
        return services.safe_next(self.request, self.request.GET.get("next"))

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        services.second_factor_event(
            request=self.request,
            action="second_factor.verify_fail",
            detail={"method": "passkey", "reason": getattr(exc, "code", "error")},
        )
        return response


def _device_id(response: JsonResponse) -> int | None:
    return json.loads(response.content).get("id")
