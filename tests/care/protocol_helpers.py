"""Helpers for the alert protocol tests (issue 17): a protocol saved through the real service,
rota lines in a short form, and a critical reading at a chosen local time."""

import datetime as dt
from zoneinfo import ZoneInfo

from readings.care import protocol as rules
from readings.care.protocol_models import ALL_DAYS, EmailDetail

MON, TUE, WED, THU, FRI, SAT, SUN = (1 << i for i in range(7))


def line(person, start, end, days=ALL_DAYS) -> rules.SlotInput:
    return rules.SlotInput(weekdays=days, start_hour=start, end_hour=end, clinician=person)


def protocol(org, by, *, slots=(), path=(), critical=dt.timedelta(minutes=15), **extra):
    """The organization's protocol, saved by `by` (an admin) through protocol_save."""
    return rules.protocol_save(
        organization=org,
        by=by,
        critical_limit=critical,
        warning_limit=extra.pop("warning", dt.timedelta(hours=4)),
        slots=list(slots),
        path=list(path),
        reason=extra.pop("reason", "Night cover for the heart-failure programme"),
        email_detail=extra.pop("email_detail", EmailDetail.LINK),
        **extra,
    )


def local(org, year, month, day, hour, minute=0) -> dt.datetime:
    """A wall-clock time in the organization's zone, as an aware UTC instant."""
    wall = dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(org.time_zone))
    return wall.astimezone(dt.UTC)


def with_email(user, address=None):
    user.email = address or f"{user.username}@clinic.example"
    user.save(update_fields=["email"])
    return user
