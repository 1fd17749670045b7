"""Figure 4 — the care team's roster page: render time and query count with 100 and with
10,000 patients in the organization. Goal: the same query count, time ratio ≤ 3 per page."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from tests.bench.common import Figure

GOAL_TIME = 3.0


def roster_url() -> str | None:
    try:
        return reverse("workspace:roster")
    except NoReverseMatch:
        return None


def run() -> Figure:
    figure = Figure(4, "Roster page (100 vs 10,000 patients)")
    if roster_url() is None:
        figure.skipped = (
            "the care-team roster (readings.care, URL workspace:roster) is not merged into "
            "this branch yet"
        )
        return figure
    raise NotImplementedError("roster figure: merge of readings.care pending")
