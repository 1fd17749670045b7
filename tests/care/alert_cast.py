"""Alerts for the triage tests, made directly (the rules that raise them are tested elsewhere):
one per patient and rule key, any severity, including information (no default rule raises
one)."""

import datetime as dt
import itertools

from django.utils import timezone

from readings.models import Alert

_keys = itertools.count()


def make_alert(patient, severity="warning", *, hours=1, text=None, **fields):
    at = timezone.now() - dt.timedelta(hours=hours)
    key = f"single:test{next(_keys)}:above"
    return Alert.objects.create(
        organization=patient.organization,
        patient=patient,
        rule_key=key,
        rule_text=text or f"Test rule ({severity})",
        kind="single",
        metric="systolic",
        severity=severity,
        breach_count=1,
        first_triggered_at=at,
        last_triggered_at=at,
        **fields,
    )
