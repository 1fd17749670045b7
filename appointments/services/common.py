"""What every visit service shares: the Solo client for an organization, the refusals staff
see, and Solo's timestamps (unix seconds)."""

from __future__ import annotations

from datetime import UTC, datetime

from appointments.clients import SoloClient


class VisitRefused(Exception):
    """A request the portal refuses before asking Solo; `str()` is for staff."""


class VisitConflict(VisitRefused):
    """Refused because of the visit's current state (closed, or already at that time): the API
    answers 409, as for any conflict with the current state, not 422 (the input is valid)."""


def solo_client(organization) -> SoloClient:
    return SoloClient.for_organization(organization)


def unix_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def from_unix_seconds(value: int) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)
