"""The day's visits are a work list: shown on the viewer's clock, one zone for every row."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_visits_show_on_the_viewers_clock_not_the_patients(client, bob, book):
    visit = book(hour=10)  # 10:00 AM in the New York patient's zone
    bob.membership.time_zone = "America/Denver"
    bob.membership.save()
    client.force_login(bob)
    shown = visit.starts_at.astimezone(bob.membership.viewer_tz)
    html = client.get(reverse("appointments:list"), {"day": shown.date().isoformat()})
    html = html.content.decode()
    zone = shown.strftime("%Z")
    assert zone in {"MST", "MDT"}
    assert f"{shown:%-I}:00 AM {zone}" in html  # 8:00 AM MST, not 10:00 AM EST
    assert " EST" not in html
    assert f"times in your time zone ({zone})" in html
