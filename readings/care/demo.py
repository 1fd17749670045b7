"""`make demo`: default thresholds, alerts from the demo month of readings, a few care-time
entries by the demo nurse. Idempotent: evaluation links a reading once per rule, and the time
entries are written only for patients that have none."""

import datetime as dt

from django.utils import timezone

from readings.alerts import alerts_check_no_data, alerts_evaluate_readings
from readings.care import services
from readings.care.models import Activity, TimeEntry
from readings.models import OPEN_STATUSES, Alert, Reading
from readings.thresholds import threshold_defaults_ensure

BATCH = 2000


def load(*, organization, patients, users, rng, stdout):
    threshold_defaults_ensure(organization=organization)
    ids = list(
        Reading.objects.filter(organization=organization, value__isnull=False)
        .order_by("measured_at", "id")
        .values_list("pk", flat=True)
    )
    changed = set()
    for start in range(0, len(ids), BATCH):
        batch = list(
            Reading.objects.filter(pk__in=ids[start : start + BATCH]).select_related(
                "patient__organization"
            )
        )
        changed.update(a.pk for a in alerts_evaluate_readings(readings=batch))
    alerts_check_no_data(organization=organization)
    nurse = users.get("nurse") if isinstance(users, dict) else None
    resolved = _triage_history(organization, nurse)
    logged = 0
    if nurse is not None:
        have = set(
            TimeEntry.objects.filter(organization=organization).values_list("patient_id", flat=True)
        )
        for patient in patients[:20]:
            if patient.pk in have:
                continue
            today = timezone.now().astimezone(patient.tz).date()
            for _ in range(rng.randint(1, 3)):
                day = max(today.replace(day=1), today - dt.timedelta(days=rng.randint(0, 12)))
                services.time_entry_create(
                    patient=patient,
                    by=nurse,
                    day=day,
                    minutes=rng.choice([4, 6, 8, 10, 12, 15]),
                    activity=rng.choice([Activity.REVIEW, Activity.CALL, Activity.CARE_PLAN]),
                    interactive=rng.random() < 0.5,
                )
                logged += 1
    stdout.write(
        f"care: {len(changed)} alerts opened or updated ({resolved} older ones already triaged), "
        f"{logged} time entries"
    )


def _triage_history(organization, nurse) -> int:
    """A month of data means a month of nurses' work: alerts whose last breach is more than
    three days old were reviewed and resolved back then, so the demo queue shows what a
    morning really looks like (recent, open alerts) instead of a month's backlog."""
    if nurse is None:
        return 0
    cutoff = timezone.now() - dt.timedelta(days=3)
    stale = Alert.objects.filter(
        organization=organization, status__in=OPEN_STATUSES, last_triggered_at__lt=cutoff
    ).select_related("patient")
    count = 0
    for alert in stale:
        services.alert_resolve(
            alert=alert, by=nurse, note="Reviewed with the patient by phone; recheck was normal."
        )
        count += 1
    return count
