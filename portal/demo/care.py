"""The care team's own work in the demo, which no vendor holds: default thresholds (set before
readings arrive, so ingestion evaluates them as it stores them), a month of alerts triaged as a
nurse would have, no-data alerts, and a few care-time entries by the demo nurse. All through the
care services. Idempotent: the time entries are written only for patients that have none, and
only still-open alerts are triaged."""

import datetime as dt

from django.utils import timezone

from readings.alerts import alerts_check_no_data
from readings.care import services
from readings.care.models import Activity, ContactMedium, ContactWith, TimeEntry
from readings.models import OPEN_STATUSES, Alert, AlertOutcome
from readings.thresholds import threshold_defaults_ensure


def thresholds_load(*, organization) -> None:
    threshold_defaults_ensure(organization=organization)


def care_work_load(*, organization, patients, nurse, rng) -> str:
    opened = alerts_check_no_data(organization=organization)
    resolved = _triage_history(organization, nurse)
    logged = 0
    have = set(
        TimeEntry.objects.filter(organization=organization).values_list("patient_id", flat=True)
    )
    for patient in patients[:20]:
        if patient.pk in have:
            continue
        today = timezone.now().astimezone(patient.tz).date()
        for _ in range(rng.randint(1, 3)):
            day = max(today.replace(day=1), today - dt.timedelta(days=rng.randint(0, 12)))
            activity = rng.choice([Activity.REVIEW, Activity.CALL, Activity.CARE_PLAN])
            call = activity == Activity.CALL
            services.time_entry_create(
                patient=patient,
                by=nurse,
                day=day,
                seconds=rng.choice([4, 6, 8, 10, 12, 15]) * 60 + rng.randint(0, 59),
                activity=activity,
                contact_medium=rng.choice([ContactMedium.PHONE, ContactMedium.VIDEO])
                if call
                else "",
                contact_with=ContactWith.PATIENT if call else "",
            )
            logged += 1
    open_alerts = Alert.objects.filter(organization=organization, status__in=OPEN_STATUSES)
    return (
        f"Care: {open_alerts.count()} open alerts ({len(opened)} for missing data, {resolved} "
        f"older ones triaged now), {logged} new time entries."
    )


def _triage_history(organization, nurse) -> int:
    """A month of data means a month of nurses' work: alerts whose last breach is more than
    three days old were reviewed and resolved back then, so the demo queue shows what a
    morning really looks like (recent, open alerts) instead of a month's backlog."""
    cutoff = timezone.now() - dt.timedelta(days=3)
    stale = Alert.objects.filter(
        organization=organization, status__in=OPEN_STATUSES, last_triggered_at__lt=cutoff
    ).select_related("patient")
    count = 0
    for alert in stale:
        services.alert_resolve(
            alert=alert,
            by=nurse,
            note="Reviewed with the patient by phone; recheck was normal.",
            outcome=AlertOutcome.CONTACTED,
        )
        count += 1
    return count
