"""The production settings, plus a bench-only URLconf (figure 2's bare view)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
