"""Alert evaluation: stored readings against the rules in force (inside the ingestion
transaction), and the 'no data' sweep. Triage of the alerts raised here is the care team's
work (readings.care.alerts)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.template.defaultfilters import pluralize
from django.utils import timezone

from portal import dates
from portal.audit import audit_event_record
from portal.models import Patient
from readings import billing
from readings.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Alert,
    AlertAction,
    AlertEvent,
    AlertReading,
    AlertStatus,
    Direction,
    Reading,
    RuleKind,
    ThresholdRule,
)
from readings.signals import alert_raised_after_commit
from readings.thresholds import effective_rules
from readings.units import Metric


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
    # No savepoint: inside the ingestion transaction a failure here must undo the readings too
    # (a stored reading is never left unevaluated), and a savepoint costs two round trips.
    with transaction.atomic(savepoint=False):
        for org_readings in by_org.values():
            changed += _evaluate_org(org_readings)
    return changed


def value_may_breach(rules: list[ThresholdRule], metric: str, value: float | None) -> bool:
    """Whether a new reading of `metric` could open or fold an alert under `rules` (a
    patient's rules in force): its value crosses a single-reading rule, or the metric has an
    average or weight-gain rule. When not, alerts_evaluate_readings changes nothing for it."""
    if value is None:
        return False
    for rule in rules:
        if rule.metric != metric:
            continue
        if rule.kind in (RuleKind.AVERAGE, RuleKind.WEIGHT_GAIN):
            return True
        if rule.kind == RuleKind.SINGLE and _crosses(rule, value):
            return True
    return False


def readings_needing_evaluation(organization, rows: list[tuple[int, str, float | None]]):
    """Of (patient_id, metric, value) rows about to be evaluated, the indexes of those that can
    breach a rule in force: a value crossing one of the patient's single-reading rules, or any
    value of a metric the patient has an average or weight-gain rule for. Every other row
    cannot open or fold an alert, so a bulk import need not build a Reading for it — the
    outcome of alerts_evaluate_readings is the same."""
    rules = effective_rules(organization, {pid for pid, _, _ in rows})
    plans: dict[int, dict[str, tuple[list[ThresholdRule], bool]]] = {}
    by_patient = {}
    for pid, mine in rules.items():
        signature = id(mine)  # patients without overrides share one list, so one plan
        plan = plans.get(signature)
        if plan is None:
            plan = {}
            for rule in mine:
                singles, sequence = plan.get(rule.metric, ([], False))
                if rule.kind == RuleKind.SINGLE:
                    singles.append(rule)
                elif rule.kind in (RuleKind.AVERAGE, RuleKind.WEIGHT_GAIN):
                    sequence = True
                plan[rule.metric] = (singles, sequence)
            plans[signature] = plan
        by_patient[pid] = plan
    keep = []
    for i, (pid, metric, value) in enumerate(rows):
        if value is None:
            continue
        entry = by_patient[pid].get(metric)
        if entry is not None and (entry[1] or any(_crosses(r, value) for r in entry[0])):
            keep.append(i)
    return keep


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
    changed = _fold_all(patients, breaches)
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


def _fold_all(patients: dict, breaches: dict[tuple[int, str], list[Breach]]) -> list[Alert]:
    """Fold each (patient, rule key)'s breaches into its open alert (opened when there is none),
    in order of (patient, key). A batch costs a fixed number of queries plus one save per alert
    it changes (and the inserts of each alert it opens): a page of a pull breaches rules for a
    few patients, and seven queries each were a large part of its time."""
    best_by: dict[tuple[int, str], dict[int, Breach]] = {}
    for (pid, key), found in sorted(breaches.items()):
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
        if best:
            best_by[(pid, key)] = best
    if not best_by:
        return []
    linked = set(
        AlertReading.objects.filter(
            rule_key__in={key for _, key in best_by},
            reading_id__in={pk for best in best_by.values() for pk in best},
        ).values_list("rule_key", "reading_id")
    )
    fresh_by = {
        (pid, key): fresh
        for (pid, key), best in best_by.items()
        if (fresh := [b for pk, b in best.items() if (key, pk) not in linked])
    }
    if not fresh_by:
        return []
    open_alerts = {
        (a.patient_id, a.rule_key): a
        for a in Alert.objects.select_for_update()
        .filter(
            patient_id__in={pid for pid, _ in fresh_by},
            rule_key__in={key for _, key in fresh_by},
            status__in=OPEN_STATUSES,
        )
        .order_by("pk")
    }
    folds, links = [], []
    for (pid, key), fresh in fresh_by.items():
        top = max(fresh, key=lambda b: (SEVERITY_RANK[b.rule.severity], b.reading.measured_at))
        latest = max(fresh, key=lambda b: b.reading.measured_at)
        alert, opened = open_alerts.get((pid, key)), False
        if alert is None:
            alert, opened = _open_alert_for(patients[pid], key, top, latest)
        links += [
            AlertReading(alert=alert, reading=b.reading, patient=patients[pid], rule_key=key)
            for b in fresh
        ]
        folds.append((alert, opened, top, latest, len(fresh)))
    AlertReading.objects.bulk_create(links, ignore_conflicts=True)
    counts = dict(
        AlertReading.objects.filter(alert_id__in=[f[0].pk for f in folds])
        .order_by()
        .values("alert_id")
        .annotate(n=Count("pk"))
        .values_list("alert_id", "n")
    )
    events = []
    for alert, opened, top, latest, more in folds:
        alert.breach_count = counts.get(alert.pk, 0)
        alert.last_triggered_at = max(alert.last_triggered_at, latest.reading.measured_at)
        if SEVERITY_RANK[top.rule.severity] > SEVERITY_RANK[alert.severity]:
            alert.severity = top.rule.severity
            alert.rule = top.rule
            alert.rule_text = top.rule.describe()
            if not opened:
                alert_raised_after_commit(
                    alert_id=alert.pk, severity=alert.severity, reason="severity_raised"
                )
        if latest.detail:
            alert.detail = {**alert.detail, "latest": latest.detail}
        alert.save()
        if not opened:
            note = f"{more} more reading{pluralize(more)}"
            events.append(AlertEvent(alert=alert, action=AlertAction.BREACH, note=note))
    AlertEvent.objects.bulk_create(events)
    return [alert for alert, *_ in folds]


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
    alert_raised_after_commit(alert_id=alert.pk, severity=alert.severity, reason="opened")
    return alert, True


@transaction.atomic
def alerts_check_no_data(*, organization, now: dt.datetime | None = None) -> list[Alert]:
    """Open a 'no data for N days' alert for each monitored patient whose devices have been
    silent N local days: the last device day (stored local day of a transmitted reading,
    readings.billing.device_data) is N or more days before the patient's today. A manual
    reading does not silence it. Once resolved, it does not reopen until device data arrives
    and stops again (the resolved alert covers this silence)."""
    now = now or timezone.now()
    device_data = billing.device_data("readings__")
    patients = list(
        Patient.objects.filter(organization=organization, is_active=True)
        .annotate(
            last_at=Max("readings__measured_at", filter=device_data),
            last_day=Max("readings__local_day", filter=device_data),
        )
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
            if (dates.local_date(now, patient.tz) - patient.last_day).days < rule.days:
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
            alert_raised_after_commit(alert_id=alert.pk, severity=alert.severity, reason="opened")
            opened.append(alert)
    if opened:
        audit_event_record(
            action="alert.no_data",
            organization=organization,
            detail={"alerts": [a.pk for a in opened]},
        )
    return opened
