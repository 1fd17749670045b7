"""The patient-graph sandbox and the portal's endpoint of the same shape answer a body alike
(seed 002 shows only 201, 404 and 500; the decisions are in portal/sandbox/patient_graph.py):
422 for a body that breaks the schema, 400 for one that is not JSON, a date-time without an
offset refused, a non-numeric `value_numeric` refused. One difference is decided and written
down (README, contract notes): a body with only the three required properties is accepted by
the sandbox, as the schema allows, and refused by the portal, which has no value to store."""

from http import HTTPStatus

import pytest

from portal.http import VendorError
from portal.sandbox import world as demo
from readings.clients import PatientGraphClient
from readings.models import Reading

pytestmark = pytest.mark.django_db  # the sandbox answers in process

VALID = {
    "metric_key": "weight",
    "value_numeric": "182.4",
    "unit": "lb",
    "source": "manual",
    "is_phi": True,
    "recorded_at": "2026-11-20T12:00:00Z",
}


def sandbox_answer(sandbox_url, body, key) -> tuple[int, dict]:
    client = PatientGraphClient(
        f"{sandbox_url}/patient-graph/", secrets={"token": demo.PATIENT_GRAPH_TOKEN}
    )
    try:
        return 201, client.create_metric("pg-9000", body, idempotency_key=key)
    except VendorError as exc:
        return exc.status, exc.body


def portal_answer(api, body) -> tuple[int, dict]:
    answer = api.post("/api/v1/patients/pg-9001/metrics", body, format="json")
    return answer.status_code, answer.json()


@pytest.mark.parametrize(
    ("change", "status", "named"),
    [
        ({}, 201, None),
        ({"source": "fax"}, 422, "source"),
        ({"recorded_at": "2026-11-20T12:00:00"}, 422, "recorded_at"),  # no offset
        ({"value_numeric": "heavy"}, 422, "value_numeric"),
        ({"value_numeric": "1,5"}, 422, "value_numeric"),
        ({"value_numeric": 182.4}, 422, "value_numeric"),  # typed string in seed 002
        ({"metric_key": ""}, 422, "metric_key"),
        ({"is_phi": "yes"}, 422, "is_phi"),
        ({"recorded_at": None}, 422, "recorded_at"),
        ({"trackingId": "x"}, 201, None),  # unknown fields are ignored by both
    ],
)
def test_the_sandbox_and_the_portal_agree(api, cuff, sandbox_url, change, status, named):
    body = {k: v for k, v in {**VALID, **change}.items() if v is not None}
    theirs = sandbox_answer(sandbox_url, body, key=f"agree-{sorted(change.items())}")
    ours = portal_answer(api, body)
    assert theirs[0] == ours[0] == status, (theirs, ours)
    if named:
        for answer in (theirs[1], ours[1]):
            assert set(answer) == {"error", "message"}
            assert named in answer["message"], answer


def test_a_body_that_is_not_json_is_400_on_both(api, cuff, sandbox_url):
    client = PatientGraphClient(
        f"{sandbox_url}/patient-graph/", secrets={"token": demo.PATIENT_GRAPH_TOKEN}
    )
    with pytest.raises(VendorError) as caught:
        client.json(
            "POST",
            "v1/patients/pg-9000/metrics",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        )
    ours = api.post(
        "/api/v1/patients/pg-9001/metrics", data="{not json", content_type="application/json"
    )
    assert caught.value.status == ours.status_code == HTTPStatus.BAD_REQUEST


def test_a_required_only_body_is_the_one_decided_difference(api, cuff, sandbox_url):
    """Seed 002: "required": ["metric_key", "source", "recorded_at"]."""
    body = {"metric_key": "weight", "source": "api", "recorded_at": "2026-11-20T12:00:00Z"}
    status, entry = sandbox_answer(sandbox_url, body, key="required-only")
    assert status == HTTPStatus.CREATED
    assert (entry["value_numeric"], entry["value_text"], entry["unit"]) == (None, None, None)
    assert portal_answer(api, body) == (
        HTTPStatus.UNPROCESSABLE_ENTITY,
        {
            "error": "required",
            "message": "value_numeric: One of value_numeric or value_text is required.",
        },
    )
    assert not Reading.objects.exists()
