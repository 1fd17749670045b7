"""Every write of the care-team workspace: thresholds, alert evaluation and triage, the time log
and its timer. Each function is one business action, transactional, and audited."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Patient, Role
from readings.care.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Activity,
    Alert,
    AlertAction,
    AlertEvent,
    AlertReading,
    AlertStatus,
    CareTimer,
    Direction,
    RuleKind,
    Severity,
    ThresholdRule,
    TimeEntry,
    TimeEntryRevision,
)
from readings.models import Reading
from readings.units import Metric

MAX_ENTRY_MINUTES = 600

# The organization's default thresholds, created once per organization (see
# threshold_defaults_ensure). Values are in each metric's canonical unit (weight in lb).
DEFAULT_RULES = [
    # (kind, metric, direction, value, readings_count, days, severity)
    (RuleKind.SINGLE, Metric.SYSTOLIC, Direction.ABOVE, 180, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.SYSTOLIC, Direction.BELOW, 90, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.SYSTOLIC, Direction.ABOVE, 160, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.DIASTOLIC, Direction.ABOVE, 110, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.DIASTOLIC, Direction.ABOVE, 100, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.ABOVE, 120, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.BELOW, 40, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.ABOVE, 110, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.HEART_RATE, Direction.BELOW, 50, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.SPO2, Direction.BELOW, 88, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.SPO2, Direction.BELOW, 92, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.GLUCOSE, Direction.ABOVE, 300, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.GLUCOSE, Direction.BELOW, 54, None, None, Severity.CRITICAL),
    (RuleKind.SINGLE, Metric.GLUCOSE, Direction.BELOW, 70, None, None, Severity.WARNING),
    (RuleKind.SINGLE, Metric.TEMPERATURE, Direction.ABOVE, 100.4, None, None, Severity.WARNING),
    (RuleKind.AVERAGE, Metric.SYSTOLIC, Direction.ABOVE, 140, 5, None, Severity.WARNING),
    # 2 kg (4.4 lb) in 3 days: the usual heart-failure fluid-retention warning.
    (RuleKind.WEIGHT_GAIN, Metric.WEIGHT, Direction.ABOVE, 4.4, None, 3, Severity.WARNING),
    (RuleKind.NO_DATA, "", Direction.BELOW, None, None, 3, Severity.WARNING),
]


class AlertStateError(Exception):
    """The action does not fit the alert's state (e.g. acknowledging a resolved alert)."""


# --- thresholds -----------------------------------------------------------------------------
def threshold_defaults_ensure(*, organization) -> int:
    """Create the default rules for an organization that has none (idempotent)."""
    if ThresholdRule.objects.filter(organization=organization, patient=None).exists():
        return 0
    rows = [
        ThresholdRule(
            organization=organization,
            kind=kind,
            metric=metric,
            direction=direction,
            value=value,
            readings_count=count,
            days=days,
            severity=severity,
            reason="Portal default",
        )
        for kind, metric, direction, value, count, days, severity in DEFAULT_RULES
    ]
    ThresholdRule.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def effective_rules(organization, patient_ids) -> dict[int, list[ThresholdRule]]:
    """Per patient, the rules in force: the organization's defaults, each replaced by the
    patient's override with the same key (an inactive override switches the default off).
    Two queries whatever the number of patients."""
    threshold_defaults_ensure(organization=organization)
    current = ThresholdRule.objects.filter(
        organization=organization, superseded_at__isnull=True
    ).filter(patient__isnull=True) | ThresholdRule.objects.filter(
        organization=organization, superseded_at__isnull=True, patient_id__in=list(patient_ids)
    )
    defaults = []
    overrides: dict[int, dict[tuple, ThresholdRule]] = defaultdict(dict)
    for rule in current:
        if rule.patient_id is None:
            defaults.append(rule)
        else:
            overrides[rule.patient_id][rule.override_key] = rule
    out = {}
    for pid in patient_ids:
        mine = overrides.get(pid, {})
        rules = [mine.get(r.override_key, r) for r in defaults]
        rules += [r for key, r in mine.items() if key not in {d.override_key for d in defaults}]
        out[pid] = [r for r in rules if r.is_active]
    return out


@transaction.atomic
def threshold_override_set(
    *,
    patient: Patient,
    by,
    kind: str,
    metric: str,
    direction: str,
    severity: str,
    value: float | None,
    readings_count: int | None = None,
    days: int | None = None,
    is_active: bool = True,
    reason: str,
    request=None,
) -> ThresholdRule:
    """A clinician's threshold for one patient. The previous override with the same key is
    superseded (kept, with who and when); `reason` is required."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why this patient needs a different threshold."})
    now = timezone.now()
    previous = (
        ThresholdRule.objects.select_for_update()
        .filter(
            patient=patient,
            kind=kind,
            metric=metric,
            direction=direction,
            severity=severity,
            superseded_at__isnull=True,
        )
        .first()
    )
    if previous:
        previous.superseded_at = now
        previous.superseded_by = by
        previous.save(update_fields=["superseded_at", "superseded_by"])
    rule = ThresholdRule(
        organization=patient.organization,
        patient=patient,
        kind=kind,
        metric=metric,
        direction=direction,
        severity=severity,
        value=value,
        readings_count=readings_count,
        days=days,
        is_active=is_active,
        reason=reason.strip(),
        created_by=by,
    )
    _rule_checked(rule)
    rule.save()
    audit_event_record(
        action="threshold.override",
        request=request,
        actor=by,
        patient=patient,
        obj=rule,
        detail={"key": rule.rule_key, "superseded": previous.pk if previous else None},
    )
    return rule


def _rule_checked(rule: ThresholdRule) -> None:
    rule.full_clean(exclude=["organization", "patient", "created_by", "superseded_by"])
    errors = {}
    if rule.kind != RuleKind.NO_DATA and not rule.metric:
        errors["metric"] = "Choose the metric this rule watches."
    if rule.kind != RuleKind.NO_DATA and rule.value is None and rule.is_active:
        errors["value"] = "Enter the threshold value."
    if rule.kind == RuleKind.AVERAGE and not (rule.readings_count and rule.readings_count >= 2):
        errors["readings_count"] = "Average over at least 2 readings."
    if rule.kind in (RuleKind.WEIGHT_GAIN, RuleKind.NO_DATA) and not rule.days:
        errors["days"] = "Enter the number of days."
    if rule.kind == RuleKind.WEIGHT_GAIN and rule.metric != Metric.WEIGHT:
        errors["metric"] = "Weight-gain rules watch weight."
    if errors:
        raise ValidationError(errors)


# --- alert evaluation -----------------------------------------------------------------------
@dataclass
class Breach:
    rule: ThresholdRule
    reading: Reading
    detail: dict = field(default_factory=dict)


def _crosses(rule: ThresholdRule, value: float) -> bool:
    if rule.value is None:
        return False
    return value >= rule.value if rule.direction == Direction.ABOVE else value <= rule.value


def alerts_evaluate_readings(*, readings: list[Reading]) -> list[Alert]:
    """Evaluate newly stored readings against each patient's rules and open or fold alerts.

    Call it from the ingestion transaction (or on commit, through
    `readings.care.tasks.alerts_evaluate`). Idempotent: a reading is linked at most once per
    rule (database constraint), so evaluating it twice changes nothing; repeated breaches
    fold into the patient's open alert for the same rule. Returns the alerts opened or
    updated."""
    readings = [r for r in readings if r.value is not None and r.pk is not None]
    if not readings:
        return []
    by_org: dict[int, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_org[reading.organization_id].append(reading)
    changed: list[Alert] = []
    with transaction.atomic():
        for org_readings in by_org.values():
            changed += _evaluate_org(org_readings)
    return changed


def _evaluate_org(readings: list[Reading]) -> list[Alert]:
    organization = readings[0].patient.organization
    patient_ids = sorted({r.patient_id for r in readings})
    rules = effective_rules(organization, patient_ids)
    breaches: dict[tuple[int, str], list[Breach]] = defaultdict(list)
    by_patient_metric: dict[tuple[int, str], list[Reading]] = defaultdict(list)
    single_hits: set[tuple[int, str]] = set()
    for reading in readings:
        by_patient_metric[(reading.patient_id, reading.metric)].append(reading)
        for rule in rules[reading.patient_id]:
            if (
                rule.kind == RuleKind.SINGLE
                and rule.metric == reading.metric
                and _crosses(rule, reading.value)
            ):
                breaches[(reading.patient_id, rule.rule_key)].append(Breach(rule, reading))
                single_hits.add((reading.pk, rule.direction))
    for (pid, metric), new in by_patient_metric.items():
        for rule in rules[pid]:
            if rule.metric != metric:
                continue
            if rule.kind == RuleKind.AVERAGE:
                # A reading that already alarms on its own makes its average alert noise:
                # the average rule is for sustained moderate values.
                found = [
                    b
                    for b in _average_breaches(rule, pid, metric, new)
                    if (b.reading.pk, rule.direction) not in single_hits
                ]
            elif rule.kind == RuleKind.WEIGHT_GAIN:
                found = _weight_gain_breaches(rule, pid, new)
            else:
                continue
            breaches[(pid, rule.rule_key)].extend(found)
    patients = {r.patient_id: r.patient for r in readings}
    changed = []
    for (pid, key), found in sorted(breaches.items()):
        alert = _fold(patients[pid], key, found)
        if alert is not None:
            changed.append(alert)
    if changed:
        audit_event_record(
            action="alert.evaluate",
            organization=organization,
            detail={"alerts": [a.pk for a in changed], "readings": len(readings)},
        )
    return changed


def _average_breaches(rule, patient_id, metric, new: list[Reading]) -> list[Breach]:
    """For each new reading, the average of the last N readings up to and including it."""
    n = rule.readings_count or 2
    first = min(r.measured_at for r in new)
    earlier = list(
        Reading.objects.filter(
            patient_id=patient_id, metric=metric, measured_at__lt=first, value__isnull=False
        )
        .order_by("-measured_at")
        .values_list("pk", "measured_at", "value")[: n - 1]
    )
    later = list(
        Reading.objects.filter(
            patient_id=patient_id, metric=metric, measured_at__gte=first, value__isnull=False
        ).values_list("pk", "measured_at", "value")
    )
    series = sorted([*earlier, *later], key=lambda row: (row[1], row[0]))
    position = {pk: i for i, (pk, _, _) in enumerate(series)}
    found = []
    for reading in new:
        i = position.get(reading.pk)
        if i is None or i + 1 < n:
            continue
        window = series[i + 1 - n : i + 1]
        average = sum(v for _, _, v in window) / n
        if _crosses(rule, average):
            found.append(
                Breach(
                    rule,
                    reading,
                    {"average": round(average, 1), "window": [pk for pk, _, _ in window]},
                )
            )
    return found


def _weight_gain_breaches(rule, patient_id, new: list[Reading]) -> list[Breach]:
    """For each new weight, the gain over the lowest weight of the `days` before it."""
    span = dt.timedelta(days=rule.days or 1)
    first = min(r.measured_at for r in new)
    last = max(r.measured_at for r in new)
    series = list(
        Reading.objects.filter(
            patient_id=patient_id,
            metric=Metric.WEIGHT,
            measured_at__gte=first - span,
            measured_at__lte=last,
            value__isnull=False,
        ).values_list("pk", "measured_at", "value")
    )
    found = []
    for reading in new:
        before = [
            (pk, v)
            for pk, at, v in series
            if reading.measured_at - span <= at < reading.measured_at
        ]
        if not before:
            continue
        low_pk, low = min(before, key=lambda row: row[1])
        gain = reading.value - low
        if _crosses(rule, gain):
            found.append(Breach(rule, reading, {"gain": round(gain, 1), "from_reading": low_pk}))
    return found


def _fold(patient, key: str, found: list[Breach]) -> Alert | None:
    # The most severe breach per reading (a 190 systolic crosses both the warning and the
    # critical tier: one link, critical).
    best: dict[int, Breach] = {}
    for breach in found:
        current = best.get(breach.reading.pk)
        if (
            current is None
            or SEVERITY_RANK[breach.rule.severity] > SEVERITY_RANK[current.rule.severity]
        ):
            best[breach.reading.pk] = breach
    already = set(
        AlertReading.objects.filter(rule_key=key, reading_id__in=list(best)).values_list(
            "reading_id", flat=True
        )
    )
    fresh = [b for pk, b in best.items() if pk not in already]
    if not fresh:
        return None
    top = max(fresh, key=lambda b: (SEVERITY_RANK[b.rule.severity], b.reading.measured_at))
    latest = max(fresh, key=lambda b: b.reading.measured_at)
    alert, opened = _open_alert_for(patient, key, top, latest)
    AlertReading.objects.bulk_create(
        [
            AlertReading(alert=alert, reading=b.reading, patient=patient, rule_key=key)
            for b in fresh
        ],
        ignore_conflicts=True,
    )
    alert.breach_count = alert.links.count()
    alert.last_triggered_at = max(alert.last_triggered_at, latest.reading.measured_at)
    if SEVERITY_RANK[top.rule.severity] > SEVERITY_RANK[alert.severity]:
        alert.severity = top.rule.severity
        alert.rule = top.rule
        alert.rule_text = top.rule.describe()
    if latest.detail:
        alert.detail = {**alert.detail, "latest": latest.detail}
    alert.save()
    if not opened:
        AlertEvent.objects.create(
            alert=alert, action=AlertAction.BREACH, note=f"{len(fresh)} more reading(s)"
        )
    return alert


def _open_alert_for(patient, key, top: Breach, latest: Breach) -> tuple[Alert, bool]:
    def existing():
        return (
            Alert.objects.select_for_update()
            .filter(patient=patient, rule_key=key, status__in=OPEN_STATUSES)
            .first()
        )

    alert = existing()
    if alert is not None:
        return alert, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                organization=patient.organization,
                patient=patient,
                rule=top.rule,
                rule_key=key,
                rule_text=top.rule.describe(),
                kind=top.rule.kind,
                metric=top.rule.metric,
                severity=top.rule.severity,
                first_triggered_at=min(latest.reading.measured_at, top.reading.measured_at),
                last_triggered_at=latest.reading.measured_at,
                detail={"latest": latest.detail} if latest.detail else {},
            )
    except IntegrityError:
        # Another transaction opened it concurrently: fold into theirs.
        return existing(), False
    AlertEvent.objects.create(alert=alert, action=AlertAction.OPENED)
    return alert, True


@transaction.atomic
def alerts_check_no_data(*, organization, now: dt.datetime | None = None) -> list[Alert]:
    """Open a 'no data for N days' alert for each monitored patient whose last reading is
    older than the rule allows. Once resolved, it does not reopen until data arrives and
    stops again (the resolved alert covers this silence)."""
    now = now or timezone.now()
    patients = list(
        Patient.objects.filter(organization=organization, is_active=True)
        .annotate(last_at=Max("readings__measured_at"))
        .filter(last_at__isnull=False)
        .select_related("organization")
    )
    rules = effective_rules(organization, [p.pk for p in patients])
    resolved_after = defaultdict(set)
    for pid, key, first in Alert.objects.filter(
        organization=organization, kind=RuleKind.NO_DATA, status=AlertStatus.RESOLVED
    ).values_list("patient_id", "rule_key", "first_triggered_at"):
        resolved_after[(pid, key)].add(first)
    already_open = set(
        Alert.objects.filter(
            organization=organization, kind=RuleKind.NO_DATA, status__in=OPEN_STATUSES
        ).values_list("patient_id", "rule_key")
    )
    opened = []
    for patient in patients:
        for rule in rules[patient.pk]:
            if rule.kind != RuleKind.NO_DATA or not rule.days:
                continue
            if patient.last_at > now - dt.timedelta(days=rule.days):
                continue
            key = rule.rule_key
            if any(first > patient.last_at for first in resolved_after[(patient.pk, key)]):
                continue
            if (patient.pk, key) in already_open:
                continue
            try:
                with transaction.atomic():
                    alert = Alert.objects.create(
                        organization=organization,
                        patient=patient,
                        rule=rule,
                        rule_key=key,
                        rule_text=rule.describe(),
                        kind=rule.kind,
                        metric="",
                        severity=rule.severity,
                        first_triggered_at=now,
                        last_triggered_at=now,
                        detail={"last_reading_at": patient.last_at.isoformat()},
                    )
            except IntegrityError:
                continue
            AlertEvent.objects.create(alert=alert, action=AlertAction.OPENED)
            opened.append(alert)
    if opened:
        audit_event_record(
            action="alert.no_data",
            organization=organization,
            detail={"alerts": [a.pk for a in opened]},
        )
    return opened


# --- triage ---------------------------------------------------------------------------------
def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def _triage(alert, action, by, note, request, api_key=None, *, change) -> Alert:
    alert = _locked(alert)
    if not alert.is_open:
        raise AlertStateError("This alert is already resolved.")
    change(alert)
    alert.save()
    AlertEvent.objects.create(
        alert=alert, action=action, actor=by, api_key=api_key, note=(note or "").strip()
    )
    audit_event_record(
        action=f"alert.{action}",
        request=request,
        actor=by,
        api_key=api_key,
        patient=alert.patient,
        obj=alert,
        detail={"with_note": bool((note or "").strip())},
    )
    return alert


@transaction.atomic
def alert_acknowledge(*, alert: Alert, by=None, note: str = "", request=None, api_key=None):
    """A nurse has seen the alert and is on it."""

    def change(a):
        if a.status == AlertStatus.OPEN:
            a.status = AlertStatus.ACKNOWLEDGED
        a.acknowledged_at = a.acknowledged_at or timezone.now()
        a.acknowledged_by = a.acknowledged_by or by

    return _triage(alert, AlertAction.ACKNOWLEDGED, by, note, request, api_key, change=change)


@transaction.atomic
def alert_note_add(*, alert: Alert, by, note: str, request=None) -> Alert:
    if not note.strip():
        raise ValidationError({"note": "Write the note."})
    return _triage(alert, AlertAction.NOTE, by, note, request, change=lambda a: None)


@transaction.atomic
def alert_escalate(*, alert: Alert, by, note: str, request=None) -> Alert:
    """Hand the alert to the physician/QHP; the note says why and to whom."""
    if not note.strip():
        raise ValidationError({"note": "Say why and to whom you escalate."})

    def change(a):
        a.status = AlertStatus.ESCALATED
        a.escalated_at = timezone.now()
        a.acknowledged_at = a.acknowledged_at or a.escalated_at
        a.acknowledged_by = a.acknowledged_by or by

    return _triage(alert, AlertAction.ESCALATED, by, note, request, change=change)


@transaction.atomic
def alert_resolve(*, alert: Alert, by=None, note: str = "", request=None, api_key=None):
    """Close the alert. A later breach of the same rule opens a new one."""

    def change(a):
        a.status = AlertStatus.RESOLVED
        a.resolved_at = timezone.now()
        a.resolved_by = by

    return _triage(alert, AlertAction.RESOLVED, by, note, request, api_key, change=change)


# --- time log -------------------------------------------------------------------------------
def patient_today(patient: Patient, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(patient.tz).date()


def _entry_checked(entry: TimeEntry) -> None:
    errors = {}
    if entry.minutes is None or not 1 <= entry.minutes <= MAX_ENTRY_MINUTES:
        errors["minutes"] = f"Enter between 1 and {MAX_ENTRY_MINUTES} minutes."
    if entry.day and entry.day > patient_today(entry.patient):
        errors["day"] = "The day cannot be in the future (patient's local date)."
    if entry.activity not in Activity.values:
        errors["activity"] = "Choose an activity."
    if errors:
        raise ValidationError(errors)
    entry.full_clean(exclude=["organization", "patient", "author", "api_key"])


def time_entry_can_edit(entry: TimeEntry, by, api_key) -> bool:
    if api_key is not None:
        return entry.api_key_id == api_key.pk
    if by is None:
        return False
    if entry.author_id == by.pk:
        return True
    membership = getattr(by, "membership", None)
    return bool(
        membership
        and membership.role == Role.ORG_ADMIN
        and membership.organization_id == entry.organization_id
    )


@transaction.atomic
def time_entry_create(
    *,
    patient: Patient,
    by=None,
    api_key=None,
    day: dt.date,
    minutes: int,
    activity: str = Activity.REVIEW,
    interactive: bool = False,
    interpretation: bool = False,
    note: str = "",
    request=None,
) -> TimeEntry:
    """Log minutes of care for a patient (manual entry, a stopped timer, or the API)."""
    entry = TimeEntry(
        organization=patient.organization,
        patient=patient,
        author=by,
        api_key=api_key,
        day=day,
        minutes=minutes,
        activity=activity,
        interactive=interactive,
        interpretation=interpretation or activity == Activity.INTERPRETATION,
        note=note.strip(),
    )
    _entry_checked(entry)
    entry.save()
    TimeEntryRevision.objects.create(
        entry=entry, action="created", editor=by, api_key=api_key, after=entry.snapshot()
    )
    audit_event_record(
        action="time_entry.create",
        request=request,
        actor=by,
        api_key=api_key,
        patient=patient,
        obj=entry,
        detail={"minutes": entry.minutes},
    )
    return entry


EDITABLE = ("day", "minutes", "activity", "interactive", "interpretation", "note")


@transaction.atomic
def time_entry_update(
    *, entry: TimeEntry, by=None, api_key=None, request=None, **changes
) -> TimeEntry:
    """Change an entry: only its author (or the key that posted it) or an org admin; the
    previous values are kept as a revision."""
    entry = TimeEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if entry.deleted_at is not None:
        raise ValidationError("This entry was deleted.")
    if not time_entry_can_edit(entry, by, api_key):
        raise PermissionDenied("Only the author or an organization admin can change this entry.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    before = entry.snapshot()
    for name, value in changes.items():
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    if entry.activity == Activity.INTERPRETATION:
        entry.interpretation = True
    _entry_checked(entry)
    if entry.snapshot() == before:
        return entry
    entry.save()
    TimeEntryRevision.objects.create(
        entry=entry,
        action="edited",
        editor=by,
        api_key=api_key,
        before=before,
        after=entry.snapshot(),
    )
    audit_event_record(
        action="time_entry.update",
        request=request,
        actor=by,
        api_key=api_key,
        patient=entry.patient,
        obj=entry,
        detail={"fields": sorted(k for k in changes if before.get(k) != entry.snapshot()[k])},
    )
    return entry


@transaction.atomic
def time_entry_delete(*, entry: TimeEntry, by=None, api_key=None, request=None) -> TimeEntry:
    entry = TimeEntry.objects.select_for_update().select_related("patient").get(pk=entry.pk)
    if entry.deleted_at is not None:
        return entry
    if not time_entry_can_edit(entry, by, api_key):
        raise PermissionDenied("Only the author or an organization admin can delete this entry.")
    entry.deleted_at = timezone.now()
    entry.save(update_fields=["deleted_at", "updated_at"])
    TimeEntryRevision.objects.create(
        entry=entry, action="deleted", editor=by, api_key=api_key, before=entry.snapshot()
    )
    audit_event_record(
        action="time_entry.delete",
        request=request,
        actor=by,
        api_key=api_key,
        patient=entry.patient,
        obj=entry,
    )
    return entry


# --- the timer ------------------------------------------------------------------------------
class TimerError(Exception):
    pass


@transaction.atomic
def care_timer_start(*, user, patient: Patient, now=None) -> CareTimer:
    """Start timing care for a patient. One timer per user: a timer running for another
    patient must be stopped first (so no minutes land on the wrong chart)."""
    now = now or timezone.now()
    running = CareTimer.objects.select_for_update().filter(user=user).first()
    if running is not None:
        if running.patient_id == patient.pk:
            return running
        raise TimerError(
            "Your timer is running for another patient. Stop it there first "
            f"(patient {running.patient_id})."
        )
    return CareTimer.objects.create(user=user, patient=patient, started_at=now)


@transaction.atomic
def care_timer_stop(
    *,
    user,
    patient: Patient,
    activity: str = Activity.REVIEW,
    interactive: bool = False,
    note: str = "",
    request=None,
    now=None,
) -> TimeEntry:
    """Stop the timer and log its minutes (rounded to the nearest minute, at least 1) on the
    patient-local day the timer started."""
    now = now or timezone.now()
    timer = CareTimer.objects.select_for_update().filter(user=user, patient=patient).first()
    if timer is None:
        raise TimerError("No timer is running for this patient.")
    seconds = (now - timer.started_at).total_seconds()
    minutes = max(1, round(seconds / 60))
    if minutes > MAX_ENTRY_MINUTES:
        # The caller discards it (care_timer_cancel): nobody times 10 hours of care for one
        # patient; it was left running.
        raise TimerError(
            "The timer ran for more than 10 hours, so it was not logged; enter the time manually."
        )
    timer.delete()
    return time_entry_create(
        patient=patient,
        by=user,
        day=timer.started_at.astimezone(patient.tz).date(),
        minutes=minutes,
        activity=activity,
        interactive=interactive,
        note=note,
        request=request,
    )


@transaction.atomic
def care_timer_cancel(*, user, patient: Patient) -> None:
    CareTimer.objects.filter(user=user, patient=patient).delete()
