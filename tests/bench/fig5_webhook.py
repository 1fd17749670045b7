"""Figure 5 — webhook receive: Solo webhook deliveries acknowledged per second versus the bare
view in the same gunicorn configuration. Goal: ≥ 0.5."""

from __future__ import annotations

import importlib.util

from tests.bench.common import Cast, Figure


def receiver_available() -> bool:
    return importlib.util.find_spec("appointments.webhooks") is not None


def run(cast: Cast) -> Figure:
    figure = Figure(5, "Webhook receive (Solo deliveries/s vs bare view)")
    if not receiver_available():
        figure.skipped = (
            "the Solo webhook receiver (appointments.webhooks) is not merged into this branch yet"
        )
        return figure
    raise NotImplementedError("webhook figure: merge of appointments pending")
