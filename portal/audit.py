"""Writing the audit log. Callers pass ids and action names only; never PHI values."""

from portal.models import AuditEvent


def client_ip(request) -> str | None:
    # SecurityMiddleware + the proxy set REMOTE_ADDR; X-Forwarded-For is trusted only when the
    # deployment says how many proxies sit in front (PROXY_COUNT), as django-axes does.
    from django.conf import settings

    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def audit_event_record(
    *,
    action: str,
    organization=None,
    request=None,
    actor=None,
    api_key=None,
    patient=None,
    obj=None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one audit event. With `request`, actor/API key/IP/organization come from it."""
    ip = None
    if request is not None:
        ip = client_ip(request)
        user = getattr(request, "user", None)
        if actor is None and user is not None and user.is_authenticated:
            actor = user
        auth = getattr(request, "auth", None)
        if api_key is None and auth is not None and auth.__class__.__name__ == "ApiKey":
            api_key = auth
        if organization is None:
            organization = getattr(request, "organization", None)
    if organization is None and patient is not None:
        organization = patient.organization
    if organization is None and api_key is not None:
        organization = api_key.organization
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor,
        api_key=api_key,
        action=action,
        patient=patient,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        ip=ip,
        detail=detail or {},
    )
