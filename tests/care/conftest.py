import datetime as dt

import pytest

from tests.care.factories import reading

NOW = dt.datetime.now(tz=dt.UTC)


@pytest.fixture
def hours_ago():
    """hours_ago(n) → an aware UTC instant n hours before now."""
    return lambda n: NOW - dt.timedelta(hours=n)


@pytest.fixture
def breach(patient, hours_ago):
    """An out-of-range systolic reading of `patient` (critical: ≥ 180), not yet evaluated."""
    return reading(patient, "systolic", 190, at=hours_ago(2))
