"""The one way templates show an instant (rules in portal/timezones.py):

    {{ alert.created_at|staff_time }}            Nov 30, 2026 2:05 PM EST  (viewer's zone)
    {{ alert.created_at|staff_time:"short" }}    Nov 30, 2:05 PM EST
    {{ timer.started_at|staff_time:"time" }}     2:05 PM EST
    {{ reading.measured_at|patient_time:patient }}  Nov 30, 2026 1:05 PM CST (patient's zone)
    {% viewer_zone_name %}                       EST (the viewer's zone now, for headings)
    {% viewer_zone_name days %}                  EDT (on the listed days; "EST/EDT" across a change)

A date without a time (`assigned_at|staff_time:"day"`) is the day in the viewer's zone, shown
without the zone. None renders as "" so `|default:"—"` works after the filter.
"""

import datetime as dt
import zoneinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from portal.timezones import viewer_zone

register = template.Library()

FORMATS = {
    "full": "M j, Y g:i A T",
    "short": "M j, g:i A T",
    "time": "g:i A T",
    "day": "M j, Y",
}


def _render(value, zone, style: str) -> str:
    if not isinstance(value, dt.datetime):
        return "" if value in (None, "") else str(value)
    if timezone.is_naive(value):
        # The portal stores aware UTC instants only (USE_TZ); a naive one can only be UTC,
        # and a page must not fail over it.
        value = value.replace(tzinfo=dt.UTC)
    return date_format(value.astimezone(zone), FORMATS.get(style, FORMATS["full"]))


@register.filter
def staff_time(value, style: str = "full") -> str:
    """`value` on the viewer's clock (their profile's zone, else their organization's)."""
    return _render(value, viewer_zone(), style)


@register.filter
def patient_time(value, patient) -> str:
    """`value` on the patient's clock, with the zone's abbreviation."""
    zone = zoneinfo.ZoneInfo(patient.time_zone) if patient else dt.UTC
    return _render(value, zone, "full")


@register.simple_tag
def viewer_zone_name(days=()) -> str:
    """The viewer's zone as its abbreviation (EST / EDT …): right now, or on the `days` a page
    shows (at noon of each; "MST/MDT" for a week that crosses a daylight-saving change), so a
    heading over next week's times names the clock those times are on."""
    zone = viewer_zone()
    names: list[str] = []
    for day in days:
        name = date_format(dt.datetime.combine(day, dt.time(12), tzinfo=zone), "T")
        if name not in names:
            names.append(name)
    return "/".join(names) or date_format(timezone.now().astimezone(zone), "T")


@register.simple_tag
def now_for_viewer(style: str = "full") -> str:
    """This instant on the viewer's clock, with the zone (the print header's "Printed …")."""
    return _render(timezone.now(), viewer_zone(), style)
