"""The patient page's timeline selector (readings/care/selectors/timeline.py): every kind,
newest first, filtered by kind, paged by cursor, one patient's only, and a bounded number of
queries whatever the history's length."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from readings.care.selectors import timeline
from tests.care.patient_history import ORDER, patient_history
from tests.factories import PatientFactory, entry, reading

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def history(patient, alice, now):
    return patient_history(patient, alice, now=now)


def test_every_kind_newest_first(patient, history, now):
    page = timeline.patient_timeline(patient, now=now)

    assert [i.source for i in page.items] == [source for source, _hours in ORDER]
    assert page.next_cursor == ""
    by_source = {i.source: i for i in page.items}
    assert by_source["reading"].title == "Systolic BP 190 mmHg"
    assert by_source["reading"].tone == "crit"
    assert by_source["alert_resolved"].detail == "Patient contacted and advised"
    assert by_source["alert_resolved"].who == "Alice Staff"
    assert by_source["alert_note"].detail == "Called, no answer; will retry."
    assert by_source["call"].kind == by_source["outreach"].kind == "calls"
    assert by_source["outreach"].title == "Outreach by phone: Left a message"
    assert by_source["visit"].url == f"/appointments/{history['visit'].pk}/"
    assert by_source["device_ended"].title.startswith("Device unassigned:")


def test_in_range_readings_and_future_visits_are_not_on_it(patient, history, now):
    items = timeline.patient_timeline(patient, now=now).items

    assert [i.pk for i in items if i.source == "reading"] == [history["reading"].pk]
    assert all(i.at <= now for i in items)


def test_filter_by_kind(patient, history, now):
    page = timeline.patient_timeline(patient, kinds=["calls", "devices"], now=now)

    assert [i.source for i in page.items] == ["device_ended", "outreach", "call", "device_assigned"]


def test_unknown_kinds_mean_every_kind():
    assert timeline.parse_kinds(["nonsense"]) == [k for k, _ in timeline.KINDS]
    assert timeline.parse_kinds(["visits", "alerts"]) == ["alerts", "visits"]


def test_paging_walks_every_item_once_in_order(patient, history, now):
    seen, cursor = [], None
    while True:
        page = timeline.patient_timeline(patient, cursor=cursor, limit=3, now=now)
        seen += page.items
        if not page.next_cursor:
            break
        cursor = timeline.parse_cursor(page.next_cursor)

    assert [i.source for i in seen] == [source for source, _hours in ORDER]


def test_paging_is_exact_when_items_share_an_instant(patient, alice, now):
    at = now - dt.timedelta(hours=2)
    for minutes in (5, 6, 7, 8, 9):  # five calls logged in the same microsecond
        e = entry(patient, alice, minutes=minutes, interactive=True)
        type(e).objects.filter(pk=e.pk).update(created_at=at)

    first = timeline.patient_timeline(patient, limit=2, now=now)
    second = timeline.patient_timeline(
        patient, limit=2, cursor=timeline.parse_cursor(first.next_cursor), now=now
    )
    third = timeline.patient_timeline(
        patient, limit=2, cursor=timeline.parse_cursor(second.next_cursor), now=now
    )

    titles = [i.title for p in (first, second, third) for i in p.items]
    assert titles == [f"Call, {m} min" for m in (9, 8, 7, 6, 5)]
    assert third.next_cursor == ""


def test_a_cursor_not_ours_starts_from_the_newest():
    assert timeline.parse_cursor("") is None
    assert timeline.parse_cursor("12.nope.3") is None
    assert timeline.parse_cursor("abc.call.1") is None
    assert timeline.parse_cursor("1.call.1") is not None


def test_only_this_patients_items(patient, history, org, alice, now):
    neighbour = PatientFactory(organization=org)
    patient_history(neighbour, alice, now=now)

    items = timeline.patient_timeline(patient, now=now).items

    assert {i.pk for i in items if i.source == "visit"} == {history["visit"].pk}
    assert len(items) == len(ORDER)


def test_query_count_does_not_grow_with_the_history(patient, alice, now, settings):
    patient_history(patient, alice, now=now)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            timeline.patient_timeline(patient, limit=5, now=now)
        return len(ctx.captured_queries)

    small = queries()
    for days in range(1, 40):  # a longer history: many more out-of-range readings and calls
        reading(patient, "systolic", 185, at=now - dt.timedelta(days=days))
        day = now.astimezone(patient.tz).date() - dt.timedelta(days=days)
        e = entry(patient, alice, minutes=5, interactive=True, day=day)
        type(e).objects.filter(pk=e.pk).update(created_at=now - dt.timedelta(days=days))

    assert queries() == small
    assert small <= len(timeline.SOURCES) + 2  # one per source, plus the rules (when not cached)
