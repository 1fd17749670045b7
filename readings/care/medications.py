"""The patient's medication list: adding, changing and stopping an entry. Each action keeps the
earlier values (MedicationChange) and writes the audit log in the same transaction; the audit
row carries ids only (a drug's name is PHI in context).

Clinical staff keep the list (nurse, physician, organization admin); coordinators read it."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portal.audit import audit_event_record
from portal.models import Patient
from readings.care.medication_models import Medication, MedicationChange

EDITABLE = ("name", "dose", "schedule", "note", "started_on")


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Medication")
    dose = forms.CharField(max_length=100, required=False, help_text="e.g. 25 mg")
    schedule = forms.CharField(
        max_length=200, required=False, help_text="e.g. once daily in the morning"
    )
    started_on = forms.DateField(
        required=False, label="Started on", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Write the medication's name.")
        return name

    def clean_started_on(self):
        day = self.cleaned_data["started_on"]
        if day and self.today and day > self.today:
            raise ValidationError("The start date cannot be in the future.")
        return day


def medications_for(patient: Patient) -> tuple[list[Medication], list[Medication]]:
    """(current, stopped) — current by name, stopped newest first (one query)."""
    rows = list(
        Medication.objects.filter(patient=patient)
        .select_related("changed_by", "created_by", "stopped_by")
        .prefetch_related("changes__by")
    )
    current = [m for m in rows if m.is_current]
    stopped = [m for m in rows if not m.is_current]
    stopped.sort(key=lambda m: m.stopped_at, reverse=True)
    return current, stopped


def _record(medication, action, before, by, request):
    after = medication.snapshot()
    changed = sorted(k for k in EDITABLE if before and before[k] != after[k])
    MedicationChange.objects.create(
        medication=medication,
        action=action,
        before=before,
        after=None if action == MedicationChange.Action.STOPPED else after,
        by=by,
    )
    audit_event_record(
        action=f"medication.{action}",
        request=request,
        actor=by,
        patient=medication.patient,
        obj=medication,
        detail={"fields": changed} if changed else {},
    )


@transaction.atomic
def medication_add(*, patient: Patient, by, request=None, **fields) -> Medication:
    """Put a medication on the patient's list."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    medication = Medication(
        organization=patient.organization, patient=patient, created_by=by, changed_by=by, **fields
    )
    medication.full_clean()
    medication.save()
    _record(medication, MedicationChange.Action.ADDED, None, by, request)
    return medication


@transaction.atomic
def medication_update(*, medication: Medication, by, request=None, **changes) -> Medication:
    """Change a current medication's entry; the earlier values stay in its history. Saving
    the same values changes nothing (no history row)."""
    medication = (
        Medication.objects.select_for_update().select_related("patient").get(pk=medication.pk)
    )
    if not medication.is_current:
        raise ValidationError("This medication was stopped; add it again to restart it.")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}")
    before = medication.snapshot()
    for field, value in changes.items():
        setattr(medication, field, value)
    if medication.snapshot() == before:
        return medication
    medication.changed_by = by
    medication.full_clean()
    medication.save()
    _record(medication, MedicationChange.Action.EDITED, before, by, request)
    return medication


@transaction.atomic
def medication_stop(
    *, medication: Medication, by, request=None, now: dt.datetime | None = None
) -> Medication:
    """Take a medication off the current list; it stays, stopped, with who and when."""
    medication = (
        Medication.objects.select_for_update().select_related("patient").get(pk=medication.pk)
    )
    if not medication.is_current:
        return medication  # stopped twice (two nurses at once): the first stop stands
    medication.stopped_at = now or timezone.now()
    medication.stopped_by = by
    medication.changed_by = by
    medication.save()
    _record(medication, MedicationChange.Action.STOPPED, medication.snapshot(), by, request)
    return medication
