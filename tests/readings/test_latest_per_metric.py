"""The patient page's latest value per metric (readings.selectors.latest_per_metric): the
newest reading of each metric, the highest id when two share an instant, canonical metrics
first, read by index probes (one per metric) rather than by grouping every reading the
patient ever sent (issue 19: five years of minute data)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readings.selectors import latest_per_metric
from tests.factories import PatientFactory, ReadingFactory

pytestmark = pytest.mark.both_databases

NOON = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def test_newest_of_each_metric_ties_to_the_highest_id_canonical_order_first(org):
    patient = PatientFactory(organization=org)
    other = PatientFactory(organization=org)
    ReadingFactory(patient=patient, metric="heart_rate", value=70, measured_at=NOON)
    ReadingFactory(
        patient=patient, metric="heart_rate", value=71, measured_at=NOON - dt.timedelta(days=400)
    )
    ReadingFactory(
        patient=patient, metric="systolic", value=130, measured_at=NOON - dt.timedelta(hours=2)
    )
    tie_low = ReadingFactory(patient=patient, metric="weight", value=180, measured_at=NOON)
    tie_high = ReadingFactory(patient=patient, metric="weight", value=181, measured_at=NOON)
    ReadingFactory(patient=patient, metric="zz_custom", value=1, measured_at=NOON)
    ReadingFactory(patient=other, metric="spo2", value=97, measured_at=NOON + dt.timedelta(hours=1))
    ReadingFactory(
        patient=other, metric="heart_rate", value=99, measured_at=NOON + dt.timedelta(hours=1)
    )

    latest = latest_per_metric(patient)

    by_metric = {r.metric: r for r in latest}
    assert set(by_metric) == {"heart_rate", "systolic", "weight", "zz_custom"}
    assert by_metric["heart_rate"].value == 70
    assert by_metric["weight"].pk == max(tie_low.pk, tie_high.pk)
    assert latest[-1].metric == "zz_custom"  # not a canonical metric: last
    assert latest_per_metric(PatientFactory(organization=org)) == []


def test_read_by_probes_not_by_grouping_the_history(org):
    patient = PatientFactory(organization=org)
    for days in range(5):
        ReadingFactory(
            patient=patient, metric="heart_rate", measured_at=NOON - dt.timedelta(days=days)
        )
    with CaptureQueriesContext(connection) as queries:
        latest_per_metric(patient)
    assert len(queries) == 2
    for query in queries:
        assert "GROUP BY" not in query["sql"].upper(), query["sql"]
