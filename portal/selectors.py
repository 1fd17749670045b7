"""Reads the portal's pages and endpoints need, always scoped to an organization."""

import datetime as dt
import re

from django.db.models import Q, QuerySet

from portal.models import Patient

# Birth dates as staff type them: 03/14/1950 or 3/14/1950 (US), 03-14-1950, 1950-03-14 (ISO).
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def birth_date_in(term: str) -> dt.date | None:
    """The date `term` spells in a US (month first) or ISO form, else None."""
    if match := _US_DATE.match(term):
        month, day, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.match(term):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def patients_search(organization, query: str = "", *, active_only: bool = False) -> QuerySet:
    """The organization's patients matching `query` against name, MRN or birth date
    (case-insensitive). "Smith, Jo" and "Jo Smith" both find Jo Smith; a term that looks like an
    MRN matches it; "03/14/1950" or "1950-03-14" finds who was born that day."""
    qs = Patient.objects.filter(organization=organization)
    if active_only:
        qs = qs.filter(is_active=True)
    for term in query.replace(",", " ").split()[:5]:
        match = (
            Q(last_name__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(mrn__iexact=term)
            | Q(mrn__icontains=term)
        )
        if (born := birth_date_in(term)) is not None:
            match |= Q(birth_date=born)
        qs = qs.filter(match)
    return qs.order_by("last_name", "first_name", "id")
