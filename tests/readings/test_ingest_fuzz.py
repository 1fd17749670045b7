"""Whatever a client sends to the ingestion endpoints, the answer is never a 500 and a refused
body stores nothing."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readings.models import Reading

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
HR_KEYS = [
    "readingTimestamp",
    "deviceId",
    "deviceIdentifier",
    "patientId",
    "deviceTimeZoneOffset",
    "manual",
    "heartRate",
]
PG_KEYS = ["metric_key", "value_numeric", "value_text", "unit", "source", "is_phi", "recorded_at"]
VALIDIC_KEYS = [
    "id",
    "checksum",
    "start_time",
    "metrics",
    "source",
    "type",
    "user",
    "utc_offset",
    "deleted_at",
]


def bodies(keys):
    return st.one_of(
        JSON,
        st.dictionaries(st.sampled_from(keys), JSON, max_size=len(keys)),
        st.lists(st.dictionaries(st.sampled_from(keys), JSON, max_size=len(keys)), max_size=3),
    )


FUZZ = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=bodies(HR_KEYS))
def test_heart_rate_endpoint_never_500s(api, cuff, body):
    response = api.post("/api/v1/readings/heart-rate", body, format="json")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "message", "fields"}


@FUZZ
@given(body=bodies(PG_KEYS))
def test_metrics_endpoint_never_500s(api, cuff, body):
    before = Reading.objects.count()
    response = api.post("/api/v1/patients/pg-9001/metrics", body, format="json")
    assert response.status_code < 500
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "message"}
        assert Reading.objects.count() == before


@FUZZ
@given(body=bodies(VALIDIC_KEYS))
def test_measurements_endpoint_never_500s(api, oximeter, body):
    response = api.post("/api/v1/measurements", body, format="json")
    assert response.status_code < 500
