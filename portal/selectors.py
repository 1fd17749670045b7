"""Reads the portal's pages and endpoints need, always scoped to an organization."""

from django.db.models import Q, QuerySet

from portal.models import Patient


def patients_search(organization, query: str = "", *, active_only: bool = False) -> QuerySet:
    """The organization's patients matching `query` against name or MRN (case-insensitive).
    "Smith, Jo" and "Jo Smith" both find Jo Smith; a term that looks like an MRN matches it."""
    qs = Patient.objects.filter(organization=organization)
    if active_only:
        qs = qs.filter(is_active=True)
    for term in query.replace(",", " ").split()[:5]:
        qs = qs.filter(
            Q(last_name__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(mrn__iexact=term)
            | Q(mrn__icontains=term)
        )
    return qs.order_by("last_name", "first_name", "id")
