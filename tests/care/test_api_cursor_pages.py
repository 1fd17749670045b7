"""Roster and billing page by cursor in their own multi-column order, like every other list:
following `next` visits each patient once, in the order of a single big page, whatever the
ties; `previous` walks back the same way; a cursor a client made up is a 400."""

import datetime as dt
from http import HTTPStatus

import pytest

from tests.factories import PatientFactory, evaluated

NOW = dt.datetime.now(tz=dt.UTC)


@pytest.fixture
def crowd(org):
    """Seven patients with many ties: equal alerts, equal last reading times, shared names."""
    at = NOW - dt.timedelta(hours=2)
    patients = []
    names = [("Ames", "Bo"), ("Ames", "Bo"), ("Ames", "Al"), ("Cole", "Di"), ("Byrd", "Ed")]
    for i, (last, first) in enumerate([*names, ("Cole", "Di"), ("Dunn", "Fa")]):
        p = PatientFactory(organization=org, last_name=last, first_name=first)
        evaluated(p, "systolic", 190 if i % 3 == 0 else 120, at=at)
        patients.append(p)
    evaluated(patients[-1], "systolic", 125, at=at + dt.timedelta(minutes=5))
    return patients


def _walk(api, url, link="next"):
    ids, pages = [], 0
    while url:
        response = api.get(url)
        assert response.status_code == HTTPStatus.OK, response.json()
        body = response.json()
        ids += [row.get("id", row.get("patient")) for row in body["results"]]
        url, pages = body[link], pages + 1
        assert pages < 20
    return ids


@pytest.mark.parametrize("sort", ["attention", "name", "last_reading", "days", "minutes"])
def test_roster_next_links_visit_everyone_once_in_order(api, crowd, sort):
    whole = api.get(f"/api/v1/roster?sort={sort}&page_size=500").json()
    expected = [row["id"] for row in whole["results"]]
    assert sorted(expected) == sorted(p.pk for p in crowd)
    assert _walk(api, f"/api/v1/roster?sort={sort}&page_size=2") == expected


def test_roster_previous_links_walk_back(api, crowd):
    expected = [r["id"] for r in api.get("/api/v1/roster?page_size=500").json()["results"]]
    first = api.get("/api/v1/roster?page_size=3").json()
    assert first["previous"] is None
    body = first
    while body["next"]:
        body = api.get(body["next"]).json()
    walked_back = [r["id"] for r in body["results"]]
    while body["previous"]:
        body = api.get(body["previous"]).json()
        walked_back = [r["id"] for r in body["results"]] + walked_back
    assert walked_back == expected
    assert [r["id"] for r in body["results"]] == [r["id"] for r in first["results"]]


def test_billing_pages_by_cursor(api, crowd):
    month = NOW.strftime("%Y-%m")
    whole = api.get(f"/api/v1/billing?month={month}&page_size=500").json()
    expected = [line["patient"] for line in whole["results"]]
    assert len(expected) == len(crowd)
    assert _walk(api, f"/api/v1/billing?month={month}&page_size=3") == expected


@pytest.mark.parametrize("url", ["/api/v1/roster", "/api/v1/billing"])
def test_a_made_up_cursor_is_a_400(api, crowd, url):
    response = api.get(f"{url}?cursor=eyJwIjpbMV0sImIiOmZhbHNlfQ")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_cursor"


@pytest.mark.parametrize("size", ["0", "501", "x"])
def test_roster_page_size_is_1_to_500(api, crowd, size):
    response = api.get(f"/api/v1/roster?page_size={size}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_page_size"
