"""The alert protocol's rules (issue 17): saving a new version (with who and why), who is on
call at an instant, when quiet hours end, how long a tier may stay unacknowledged. The models
are in readings.care.protocol_models; notifications and escalation use these rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.access import CLINICAL
from portal.audit import audit_event_record
from portal.models import Organization
from readings.care.protocol_models import (
    WEEKDAYS,
    AlertProtocol,
    EmailDetail,
    EscalationStep,
    RotaSlot,
    duration_text,
)
from readings.models import Severity

__all__ = ["duration_text"]  # re-exported: callers read every protocol rule from here

User = get_user_model()


@dataclass(frozen=True)
class SlotInput:
    weekdays: int  # bit 0 Monday … bit 6 Sunday
    start_hour: int
    end_hour: int  # 24 = midnight; at or before start_hour: into the next day
    clinician: object  # a user


def protocol_current(organization: Organization) -> AlertProtocol | None:
    """The organization's protocol in force (None: none set up, nobody is notified)."""
    return (
        AlertProtocol.objects.filter(organization=organization, superseded_at__isnull=True)
        .select_related("organization")
        .prefetch_related("slots__clinician", "path__person")
        .first()
    )


def protocol_history(organization: Organization, limit: int = 20) -> list[AlertProtocol]:
    return list(
        AlertProtocol.objects.filter(organization=organization)
        .select_related("created_by", "superseded_by")
        .prefetch_related("slots__clinician", "path__person")[:limit]
    )


def on_call_candidates(organization: Organization):
    """Who may be on call or on the path: the organization's clinicians (nurses, physicians,
    admins — the roles that triage alerts)."""
    return (
        User.objects.filter(
            membership__organization=organization, membership__role__in=CLINICAL, is_active=True
        )
        .select_related("membership")
        .order_by("first_name", "last_name", "username")
    )


@transaction.atomic
def protocol_save(
    *,
    organization: Organization,
    by,
    critical_limit: dt.timedelta,
    warning_limit: dt.timedelta,
    slots: list[SlotInput],
    path: list,
    reason: str,
    warning_portal: bool = True,
    warning_email: bool = False,
    email_detail: str = EmailDetail.LINK,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    request=None,
) -> AlertProtocol:
    """A new version of the organization's protocol; the one in force is superseded (kept,
    with who and when). `reason` is required, as for threshold overrides."""
    _checked(
        organization, critical_limit, warning_limit, slots, path, reason, quiet_start, quiet_end
    )
    now = timezone.now()
    previous = (
        AlertProtocol.objects.select_for_update()
        .filter(organization=organization, superseded_at__isnull=True)
        .first()
    )
    if previous:
        previous.superseded_at, previous.superseded_by = now, by
        previous.save(update_fields=["superseded_at", "superseded_by"])
    protocol = AlertProtocol.objects.create(
        organization=organization,
        critical_limit=critical_limit,
        warning_limit=warning_limit,
        warning_portal=warning_portal,
        warning_email=warning_email,
        email_detail=email_detail,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        reason=reason.strip(),
        created_by=by,
    )
    RotaSlot.objects.bulk_create(
        RotaSlot(
            protocol=protocol,
            weekdays=s.weekdays,
            start_hour=s.start_hour,
            end_hour=s.end_hour,
            clinician=s.clinician,
            position=i,
        )
        for i, s in enumerate(slots)
    )
    EscalationStep.objects.bulk_create(
        EscalationStep(protocol=protocol, position=i, person=person)
        for i, person in enumerate(path)
    )
    audit_event_record(
        action="alert_protocol.save",
        organization=organization,
        request=request,
        actor=by,
        obj=protocol,
        detail={"superseded": previous.pk if previous else None},
    )
    return protocol


def _checked(organization, critical_limit, warning_limit, slots, path, reason, start, end):
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = "Say why the protocol changes."
    for name, limit in (("critical_limit", critical_limit), ("warning_limit", warning_limit)):
        if limit <= dt.timedelta(0):
            errors[name] = "Give a time longer than zero."
    if (start is None) != (end is None):
        errors["quiet_end" if end is None else "quiet_start"] = "Give both ends of quiet hours."
    allowed = set(on_call_candidates(organization).values_list("pk", flat=True))
    people = [s.clinician for s in slots] + list(path)
    if any(p.pk not in allowed for p in people):
        errors["__all__"] = "Only the organization's nurses, physicians and admins can be named."
    if len({p.pk for p in path}) != len(path):
        errors["path"] = "Name each person once on the escalation path."
    for s in slots:
        if not (1 <= s.weekdays < 128 and 0 <= s.start_hour <= 23 and 1 <= s.end_hour <= 24):
            errors["slots"] = "Each rota line needs days and hours."
    if errors:
        raise ValidationError(errors)


# --- rules used when an alert is raised -------------------------------------------------------
def local_time(protocol: AlertProtocol, instant: dt.datetime) -> dt.datetime:
    """`instant` on the organization's wall clock (zoneinfo: DST days have 23 or 25 hours)."""
    return instant.astimezone(ZoneInfo(protocol.organization.time_zone))


def on_call(protocol: AlertProtocol, instant: dt.datetime) -> tuple[list, list[RotaSlot]]:
    """Who is on call at `instant` (the reading's time), by the rota in the organization's
    time zone: every clinician of a slot that covers it, each once, and those slots."""
    local = local_time(protocol, instant)
    slots = [s for s in protocol.slots.all() if s.covers(local.weekday(), local.hour)]
    people: dict[int, object] = {}
    for slot in slots:
        people.setdefault(slot.clinician_id, slot.clinician)
    return list(people.values()), slots


def moment_text(protocol: AlertProtocol, instant: dt.datetime) -> str:
    """'Tue 02:00 America/New_York' — the local moment a rota was read at."""
    local = local_time(protocol, instant)
    return f"{WEEKDAYS[local.weekday()]} {local:%H:%M} {protocol.organization.time_zone}"


def quiet_until(protocol: AlertProtocol | None, instant: dt.datetime) -> dt.datetime | None:
    """When quiet hours end, if `instant` falls in them; None otherwise."""
    if protocol is None or not protocol.has_quiet_hours:
        return None
    local = local_time(protocol, instant)
    start, end, now = protocol.quiet_start, protocol.quiet_end, local.time()
    if start < end:
        end_day = local.date() if start <= now < end else None
    elif now >= start:
        end_day = local.date() + dt.timedelta(days=1)
    else:
        end_day = local.date() if now < end else None
    if end_day is None:
        return None
    ends = dt.datetime.combine(end_day, end, tzinfo=local.tzinfo)
    return ends.astimezone(dt.UTC)


def limit_for(protocol: AlertProtocol, severity: str) -> dt.timedelta:
    return protocol.critical_limit if severity == Severity.CRITICAL else protocol.warning_limit
