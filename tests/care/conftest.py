import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import reading


@pytest.fixture
def hours_ago():
    """hours_ago(n) → an aware UTC instant n hours before this test started (not before the
    module was imported: a long run would move those towards the edges of time windows)."""
    now = timezone.now()
    return lambda n: now - dt.timedelta(hours=n)


@pytest.fixture
def breach(patient, hours_ago):
    """An out-of-range systolic reading of `patient` (critical: ≥ 180), not yet evaluated."""
    return reading(patient, "systolic", 190, at=hours_ago(2))
