"""The time log: a patient's entries of care time."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404

from readings import billing
from readings.care.models import TimeEntry


def time_entries_for(patient, *, month: dt.date | None = None):
    qs = TimeEntry.objects.filter(patient=patient, deleted_at__isnull=True).select_related(
        "author", "performed_by"
    )
    if month is not None:
        first, last = billing.month_bounds(month)
        qs = qs.filter(day__gte=first, day__lte=last)
    return qs.order_by("-day", "-id")


def time_entry_for_org(organization, pk) -> TimeEntry:
    return get_object_or_404(
        TimeEntry.objects.select_related("patient", "author", "performed_by", "appointment"),
        organization=organization,
        pk=pk,
        deleted_at__isnull=True,
    )
