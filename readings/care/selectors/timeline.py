"""The patient page's timeline: what happened to one patient, newest first, from every app —
readings out of range, alerts and their outcomes, notes, calls and outreach attempts, time
entries, visits, device changes.

Fast for a patient with years of data: each source is one query ordered by its own instant
with a LIMIT, and the slices are merged in Python (never everything loaded). Paging is a
cursor (instant, source, id) rather than an offset, so "older" stays exact when two items share
an instant and costs the same on page 1 and page 100."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from heapq import merge
from itertools import islice

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, VisitNote
from devices.models import DeviceAssignment
from readings import selectors as readings_selectors
from readings.alert_models import Alert, AlertAction, AlertEvent
from readings.care.models import Activity, TimeEntry
from readings.care.outreach_models import OutreachAttempt
from readings.thresholds import effective_rules, rule_crossed

PAGE_SIZE = 25
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

# The kinds staff filter by, in the order the filter lists them.
KINDS = (
    ("readings", "Readings out of range"),
    ("alerts", "Alerts"),
    ("notes", "Notes"),
    ("calls", "Calls and outreach"),
    ("time", "Time entries"),
    ("visits", "Visits"),
    ("devices", "Device changes"),
)
KIND_LABELS = dict(KINDS)


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    source: str  # which query it came from (the cursor's tie-break)
    pk: int
    kind: str
    title: str
    detail: str = ""
    who: str = ""
    url: str = ""
    tone: str = ""  # "crit", "warn", "ok" or "" (the pill's colour)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def sort_key(self) -> tuple:
        return (self.at, SOURCE_RANK[self.source], self.pk)

    @property
    def cursor(self) -> str:
        micros = (self.at - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}.{self.source}.{self.pk}"


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    next_cursor: str  # "" when there is nothing older


@dataclass(frozen=True)
class Cursor:
    at: dt.datetime
    source: str
    pk: int


def parse_cursor(text: str) -> Cursor | None:
    """The cursor of the last item shown, or None (from the newest) when absent or not ours."""
    try:
        micros, source, pk = text.split(".")
        at = EPOCH + dt.timedelta(microseconds=int(micros))
        if source not in SOURCE_RANK:
            return None
        return Cursor(at, source, int(pk))
    except (ValueError, OverflowError, OSError):
        return None


def parse_kinds(values: list[str]) -> list[str]:
    """The kinds asked for (unknown ones ignored); all of them when none is."""
    chosen = [k for k, _label in KINDS if k in values]
    return chosen or [k for k, _label in KINDS]


def _who(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _older(qs: QuerySet, field: str, source: str, cursor: Cursor | None) -> QuerySet:
    """Rows strictly after the cursor in the merged order (instant, source rank, id), newest
    first."""
    if cursor is not None:
        rank, mine = SOURCE_RANK[cursor.source], SOURCE_RANK[source]
        before = Q(**{f"{field}__lt": cursor.at})
        if mine < rank:
            before |= Q(**{field: cursor.at})
        elif mine == rank:
            before |= Q(**{field: cursor.at, "pk__lt": cursor.pk})
        qs = qs.filter(before)
    return qs.order_by(f"-{field}", "-pk")


# --- one function per source: (patient, cursor, limit) -> items, newest first ---------------
def _readings(patient, cursor, limit):
    rules = effective_rules(patient.organization, [patient.pk])[patient.pk]
    qs = _older(readings_selectors.patient_out_of_range(patient), "measured_at", "reading", cursor)
    out = []
    for r in qs[:limit]:
        crossed = rule_crossed(rules, r.metric, r.value)
        severity = crossed.severity if crossed else ""
        out.append(
            TimelineItem(
                at=r.measured_at,
                source="reading",
                pk=r.pk,
                kind="readings",
                title=f"{r.metric_label} {r.display_value} {r.unit_label}",
                detail=crossed.describe() if crossed else "",
                who=r.device.identifier if r.device_id else r.get_source_display(),
                url=_chart_url(patient, r),
                tone="crit" if severity == "critical" else "warn",
            )
        )
    return out


def _chart_url(patient, reading) -> str:
    day = reading.local_measured_at.date().isoformat()
    bp = reading.metric in ("systolic", "diastolic")
    metric = readings_selectors.BP if bp else reading.metric
    base = reverse("readings:chart", args=[patient.pk])
    return f"{base}?metric={metric}&range=custom&start={day}&end={day}"


def _alerts_opened(patient, cursor, limit):
    qs = _older(Alert.objects.filter(patient=patient), "first_triggered_at", "alert", cursor)
    return [
        TimelineItem(
            at=a.first_triggered_at,
            source="alert",
            pk=a.pk,
            kind="alerts",
            title=f"{a.get_severity_display()} alert: {a.rule_text}",
            detail=f"Now {a.get_status_display().lower()}",
            url=reverse("care:alert", args=[a.pk]),
            tone=a.severity_pill,
        )
        for a in qs[:limit]
    ]


def _alerts_resolved(patient, cursor, limit):
    qs = Alert.objects.filter(patient=patient, resolved_at__isnull=False).select_related(
        "resolved_by"
    )
    return [
        TimelineItem(
            at=a.resolved_at,
            source="alert_resolved",
            pk=a.pk,
            kind="alerts",
            title=f"Alert resolved: {a.rule_text}",
            detail=a.get_outcome_display() if a.outcome else "No outcome recorded",
            who=_who(a.resolved_by),
            url=reverse("care:alert", args=[a.pk]),
            tone="ok",
        )
        for a in _older(qs, "resolved_at", "alert_resolved", cursor)[:limit]
    ]


def _alert_notes(patient, cursor, limit):
    qs = AlertEvent.objects.filter(alert__patient=patient, action=AlertAction.NOTE).select_related(
        "actor", "alert"
    )
    return [
        TimelineItem(
            at=e.at,
            source="alert_note",
            pk=e.pk,
            kind="notes",
            title=f"Note on the alert “{e.alert.rule_text}”",
            detail=e.note,
            who=_who(e.actor),
            url=reverse("care:alert", args=[e.alert_id]),
        )
        for e in _older(qs, "at", "alert_note", cursor)[:limit]
    ]


def _visit_notes(patient, cursor, limit):
    qs = VisitNote.objects.filter(appointment__patient=patient).select_related("updated_by")
    return [
        TimelineItem(
            at=n.updated_at,
            source="visit_note",
            pk=n.pk,
            kind="notes",
            title=f"Visit note ({n.template_name})" if n.template_name else "Visit note",
            who=_who(n.updated_by),
            url=reverse("appointments:detail", args=[n.appointment_id]),
        )
        for n in _older(qs, "updated_at", "visit_note", cursor)[:limit]
    ]


def _time_entries(patient, cursor, limit, *, calls: bool):
    # A time entry has a day, not an hour: it sits on the timeline when it was logged.
    source = "call" if calls else "time"
    qs = TimeEntry.objects.filter(patient=patient, deleted_at__isnull=True).select_related(
        "performed_by", "author"
    )
    qs = qs.filter(activity=Activity.CALL) if calls else qs.exclude(activity=Activity.CALL)
    out = []
    for e in _older(qs, "created_at", source, cursor)[:limit]:
        if calls:
            title = f"Call, {e.duration}"
            medium = e.get_contact_medium_display() if e.contact_medium else ""
            detail = " · ".join(p for p in (medium, e.get_contact_with_display(), e.note) if p)
        else:
            title = f"{e.get_activity_display()}, {e.duration}"
            detail = e.note
        out.append(
            TimelineItem(
                at=e.created_at,
                source=source,
                pk=e.pk,
                kind="calls" if calls else "time",
                title=title,
                detail=f"For {e.day:%b %-d, %Y}" + (f" · {detail}" if detail else ""),
                who=_who(e.performed_by or e.author),
                url="#care",
            )
        )
    return out


def _calls(patient, cursor, limit):
    return _time_entries(patient, cursor, limit, calls=True)


def _time(patient, cursor, limit):
    return _time_entries(patient, cursor, limit, calls=False)


def _outreach(patient, cursor, limit):
    qs = OutreachAttempt.objects.filter(patient=patient).select_related("performed_by")
    return [
        TimelineItem(
            at=o.at,
            source="outreach",
            pk=o.pk,
            kind="calls",
            title=f"Outreach by {o.get_medium_display().lower()}: {o.get_outcome_display()}",
            detail=o.note,
            who=_who(o.performed_by),
            url="#outreach",
            tone="ok" if o.outcome == "reached" else "",
        )
        for o in _older(qs, "at", "outreach", cursor)[:limit]
    ]


def _visits(patient, cursor, limit):
    qs = Appointment.objects.filter(patient=patient).select_related("booked_by", "waiting_room")
    out = []
    for v in _older(qs, "starts_at", "visit", cursor)[:limit]:
        room = v.waiting_room.name if v.waiting_room_id else ""
        out.append(
            TimelineItem(
                at=v.starts_at,
                source="visit",
                pk=v.pk,
                kind="visits",
                title=f"Video visit: {v.get_status_display().lower()}",
                detail=" · ".join(p for p in (room, ", ".join(map(str, v.reasons or []))) if p),
                who=_who(v.booked_by),
                url=reverse("appointments:detail", args=[v.pk]),
                tone="ok" if v.took_place else "",
            )
        )
    return out


def _devices_assigned(patient, cursor, limit):
    qs = DeviceAssignment.objects.filter(patient=patient).select_related(
        "device__item", "assigned_by"
    )
    return [
        TimelineItem(
            at=a.assigned_at,
            source="device_assigned",
            pk=a.pk,
            kind="devices",
            title=f"Device assigned: {a.device.item.name} {a.device.identifier}",
            who=_who(a.assigned_by),
            url=reverse("devices:detail", args=[a.device_id]),
        )
        for a in _older(qs, "assigned_at", "device_assigned", cursor)[:limit]
    ]


def _devices_ended(patient, cursor, limit):
    qs = DeviceAssignment.objects.filter(patient=patient, ended_at__isnull=False).select_related(
        "device__item", "ended_by"
    )
    return [
        TimelineItem(
            at=a.ended_at,
            source="device_ended",
            pk=a.pk,
            kind="devices",
            title=f"Device {a.get_ended_reason_display().lower() or 'unassigned'}: "
            f"{a.device.item.name} {a.device.identifier}",
            who=_who(a.ended_by),
            url=reverse("devices:detail", args=[a.device_id]),
        )
        for a in _older(qs, "ended_at", "device_ended", cursor)[:limit]
    ]


Source = Callable[..., list[TimelineItem]]
# (source name, kind, function); the order is the tie-break between items of one instant.
SOURCES: tuple[tuple[str, str, Source], ...] = (
    ("reading", "readings", _readings),
    ("alert", "alerts", _alerts_opened),
    ("alert_resolved", "alerts", _alerts_resolved),
    ("alert_note", "notes", _alert_notes),
    ("visit_note", "notes", _visit_notes),
    ("call", "calls", _calls),
    ("outreach", "calls", _outreach),
    ("time", "time", _time),
    ("visit", "visits", _visits),
    ("device_assigned", "devices", _devices_assigned),
    ("device_ended", "devices", _devices_ended),
)
SOURCE_RANK = {name: i for i, (name, _kind, _fn) in enumerate(SOURCES)}


def patient_timeline(
    patient,
    *,
    kinds: list[str] | None = None,
    cursor: Cursor | None = None,
    limit: int = PAGE_SIZE,
    now: dt.datetime | None = None,
) -> TimelinePage:
    """One page of the patient's timeline, newest first: at most `limit` items older than
    `cursor` (or than now: a visit booked for next week is not history yet), of `kinds`.
    At most one query per source (plus the cached rules), whatever the patient's history."""
    if cursor is None:
        # From now: the cursor sorts after every source at this instant, so all of it shows.
        now = now or timezone.now()
        cursor = Cursor(now + dt.timedelta(microseconds=1), SOURCES[-1][0], 0)
    wanted = set(kinds or parse_kinds([]))
    slices = [fn(patient, cursor, limit + 1) for _name, kind, fn in SOURCES if kind in wanted]
    merged = list(islice(merge(*slices, key=TimelineItem.sort_key, reverse=True), limit + 1))
    items = merged[:limit]
    more = len(merged) > limit
    return TimelinePage(items=items, next_cursor=items[-1].cursor if more and items else "")
