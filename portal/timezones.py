"""Whose clock a time is shown on. One rule for every page (portal/templatetags/times.py):

- patient data (readings, the patient's visits and records) in the patient's zone;
- work queues (alerts, worklists, time entries, device events, the day's visits) in the
  viewer's zone: the one they picked on their profile page, else their organization's;
- always with the zone's abbreviation (EST, CDT …), so a time never stands without its clock.

The viewer is the person the current request is for. ViewerZoneMiddleware keeps the request in
a context variable for the filters; the zone is looked up only when a time is rendered, from the
membership the view already loaded, so a page without times costs no query. Django's current
time zone is not activated: forms that read naive input (manual readings, visit notes) keep
their own explicit zones.
"""

import contextvars
import datetime as dt
import zoneinfo

from portal.access import membership_of

_request: contextvars.ContextVar = contextvars.ContextVar("viewer_request", default=None)

UTC = dt.UTC

# Offered first on the profile page: the zones of US clinics and patients, east to west.
US_ZONES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
]


def zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """<select> groups: the common US zones, then every other IANA zone by name."""
    common = {name for name, _ in US_ZONES}
    others = sorted(
        z
        for z in zoneinfo.available_timezones()
        if z not in common and "/" in z and not z.startswith("Etc/")
    )
    return [
        ("United States", list(US_ZONES)),
        ("Everywhere else", [(z, z.replace("_", " ")) for z in [*others, "UTC"]]),
    ]


def viewer_zone(request=None) -> zoneinfo.ZoneInfo | dt.tzinfo:
    """The zone work queues are shown in for `request` (default: the current one); UTC when
    there is no signed-in member (a render outside a request, e.g. a Celery email)."""
    request = request if request is not None else _request.get()
    if request is None:
        return UTC
    membership = getattr(request, "membership", None)
    if membership is None:
        user = getattr(request, "user", None)
        membership = membership_of(user) if user is not None else None
    return membership.viewer_tz if membership is not None else UTC


class ViewerZoneMiddleware:
    """Keeps the request where the time filters can find whose zone to use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
