"""The production settings, plus a bench-only URLconf (figure 2's bare view)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"

# The bench serves no static file; an existing (empty) STATIC_ROOT keeps WhiteNoise from warning
# once per gunicorn worker and figure that it is missing (production runs collectstatic first).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
