"""The care API: roster, alerts (list, acknowledge, resolve), time entries (CRUD), billing.
Whole payloads compared; every error in the JSON error shape; tenancy and scopes."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portal.models import ApiScope, AuditEvent
from readings.care import services
from readings.care.models import TimeEntry
from readings.models import Alert, AlertStatus
from tests import factories
from tests.factories import PatientFactory, entry, evaluated


def hours_ago(hours):
    return timezone.now() - dt.timedelta(hours=hours)


@pytest.fixture
def alert(patient):
    evaluated(patient, "systolic", 190, at=hours_ago(1))
    return Alert.objects.get(patient=patient)


# --- roster ---------------------------------------------------------------------------------
def test_roster_returns_the_columns(api, patient, alert):
    response = api.get("/api/v1/roster")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    (row,) = body["results"]
    reading = alert.readings.get()
    assert row == {
        "id": patient.pk,
        "mrn": patient.mrn,
        "first_name": "Harriet",
        "last_name": "Quimby",
        "time_zone": "America/New_York",
        "last_reading": {
            "id": reading.pk,
            "metric": "systolic",
            "value": 190.0,
            "unit": "mm[Hg]",
            "measured_at": reading.measured_at.isoformat().replace("+00:00", "Z"),
        },
        "open_alerts": {"critical": 1, "warning": 0},
        "period_start": reading.measured_at.astimezone(patient.tz).date().isoformat(),
        "device_days": 1,
        "reached_2_days": False,
        "reached_16_days": False,
        "month_minutes": 0,
        "devices": [  # the cuff that transmitted the reading
            {
                "id": reading.device_id,
                "identifier": f"CUFF-{patient.pk}",
                "item": "BodyTrace BT105 Blood Pressure Monitor",
            }
        ],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [("sort=evil", "sort must be one of"), ("no_data_days=x", "no_data_days must be a number")],
)
def test_roster_bad_parameters(api, query, message):
    response = api.get(f"/api/v1/roster?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_parameter"
    assert message in response.json()["message"]


@pytest.mark.parametrize("count", [3, 30])
def test_roster_api_query_count_is_constant(api, org, count, django_assert_max_num_queries):
    for i in range(count):
        evaluated(PatientFactory(organization=org), "systolic", 190, at=hours_ago(i + 1))
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/roster?attention=true&page_size=500")
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize(
    "query", ["attention=1", "below_16=yes", "no_data_days=0", "no_data_days=", "sort="]
)
def test_roster_parameters_are_what_the_schema_says(api, query):
    response = api.get(f"/api/v1/roster?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_parameter"


def test_outsider_key_sees_an_empty_roster(outsider_api, patient, alert):
    assert outsider_api.get("/api/v1/roster").json()["results"] == []


def test_anonymous_gets_401(client, alert):
    for url in ("/api/v1/roster", "/api/v1/alerts", "/api/v1/time-entries", "/api/v1/billing"):
        response = APIClient().get(url)
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["error"] == "not_authenticated"


# --- alerts ---------------------------------------------------------------------------------
def test_alert_list_shape(api, alert):
    response = api.get("/api/v1/alerts")
    assert response.status_code == HTTPStatus.OK
    (item,) = response.json()["results"]
    assert item["id"] == alert.pk
    assert item["severity"] == "critical"
    assert item["status"] == "open"
    assert item["rule_key"] == "single:systolic:above"
    assert item["rule_text"] == "Systolic BP at or above 180 mmHg"
    assert item["breach_count"] == 1
    assert item["reading_ids"] == [alert.readings.get().pk]


@pytest.mark.parametrize("count", [3, 30])
def test_alert_list_query_count_is_constant(api, org, count, django_assert_max_num_queries):
    for i in range(count):
        evaluated(PatientFactory(organization=org), "systolic", 190, at=hours_ago(i + 1))
    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/alerts")
    assert len(response.json()["results"]) == count


def test_acknowledge_and_resolve_through_the_api(api, alert, org_key):
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {"note": "seen"}, format="json")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "acknowledged"
    body = {"outcome": "contacted", "note": "Advised rest"}
    response = api.post(f"/api/v1/alerts/{alert.pk}/resolve", body, format="json")
    assert (response.json()["status"], response.json()["outcome"]) == ("resolved", "contacted")
    events = list(alert.events.values_list("action", "api_key", "note"))
    assert events[1:] == [
        ("acknowledged", org_key[0].pk, "seen"),
        ("resolved", org_key[0].pk, "Advised rest"),
    ]
    again = api.post(f"/api/v1/alerts/{alert.pk}/resolve", body, format="json")
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json() == {
        "error": "alert_resolved",
        "message": "This alert is already resolved.",
        "fields": {},
    }


def test_alert_action_refuses_unknown_fields(api, alert):
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {"nope": 1}, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert response.json()["fields"] == {"nope": ["Unknown field."]}
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_alert_actions_need_the_care_write_scope(org, alert):
    _, raw = factories.api_key(org, scopes=[ApiScope.READINGS_READ])
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert c.get("/api/v1/alerts").status_code == HTTPStatus.OK
    response = c.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {}, format="json")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_coordinator_session_cannot_triage(client, bob, alert):
    client.force_login(bob)
    response = client.post(
        f"/api/v1/alerts/{alert.pk}/acknowledge", {}, content_type="application/json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_outsider_gets_404_on_our_alert(outsider_api, alert):
    response = outsider_api.post(f"/api/v1/alerts/{alert.pk}/resolve", {}, format="json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


# --- time entries ---------------------------------------------------------------------------
def test_time_entry_crud_with_a_key(api, patient, org_key, alice):
    day = services.patient_today(patient).isoformat()
    created = api.post(
        "/api/v1/time-entries",
        {
            "patient": patient.pk,
            "day": day,
            "minutes": 12,
            "activity": "call",
            "contact_medium": "phone",
            "contact_with": "patient",
            "performed_by": "alice",
        },
        format="json",
    )
    assert created.status_code == HTTPStatus.CREATED
    body = created.json()
    pk = body["id"]
    assert {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")} == {
        "patient": patient.pk,
        "author": None,
        "performed_by": "alice",
        "performer_role": "nurse",
        "day": day,
        "seconds": 720,
        "minutes": 12,
        "activity": "call",
        "contact_medium": "phone",
        "contact_with": "patient",
        "appointment": None,
        "office_visit": False,
        "interactive_contact": True,
        "counts_toward": "management",
        "billable": True,
        "not_billable_reason": "",
        "day_reason": "",
        "note": "",
    }
    assert api.get(f"/api/v1/time-entries/{pk}").json()["seconds"] == 720
    patched = api.patch(f"/api/v1/time-entries/{pk}", {"seconds": 845}, format="json")
    assert (patched.json()["seconds"], patched.json()["minutes"]) == (845, 14)
    listed = api.get(f"/api/v1/time-entries?patient={patient.pk}").json()["results"]
    assert [e["id"] for e in listed] == [pk]
    assert api.delete(f"/api/v1/time-entries/{pk}").status_code == HTTPStatus.NO_CONTENT
    assert api.get(f"/api/v1/time-entries/{pk}").status_code == HTTPStatus.NOT_FOUND
    assert [r.action for r in TimeEntry.objects.get(pk=pk).revisions.all()] == [
        "created",
        "edited",
        "deleted",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"seconds": 59}, "seconds"),
        ({"seconds": 600}, "minutes"),  # both
        ({"interactive": True}, "interactive"),  # the old checkbox: a contact says what it was
        ({"day": "2999-01-01"}, "day"),
        ({"activity": "napping"}, "activity"),
        ({"extra": 1}, "extra"),
    ],
)
def test_time_entry_bad_input_is_422_and_writes_nothing(api, patient, body, field):
    # the patient's today (the UTC date is tomorrow there every evening: a refusal of its own)
    today = services.patient_today(patient).isoformat()
    data = {"patient": patient.pk, "day": today, "minutes": 10, **body}
    if "seconds" in body and body["seconds"] < 60:
        del data["minutes"]
    response = api.post("/api/v1/time-entries", data, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == [field]
    assert not TimeEntry.objects.exists()


def test_only_the_author_may_patch(client, patient, alice, org):
    e = entry(patient, alice)
    colleague = factories.staff(org, username="carol")
    client.force_login(colleague)
    response = client.patch(
        f"/api/v1/time-entries/{e.pk}", {"minutes": 50}, content_type="application/json"
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "not_author"
    e.refresh_from_db()
    assert e.seconds == 600


def test_outsider_cannot_see_or_log_time_for_our_patient(outsider_api, patient, alice):
    e = entry(patient, alice)
    assert outsider_api.get(f"/api/v1/time-entries/{e.pk}").status_code == HTTPStatus.NOT_FOUND
    assert (
        outsider_api.patch(
            f"/api/v1/time-entries/{e.pk}", {"minutes": 1}, format="json"
        ).status_code
        == HTTPStatus.NOT_FOUND
    )
    response = outsider_api.post(
        "/api/v1/time-entries",
        {"patient": patient.pk, "day": services.patient_today(patient).isoformat(), "minutes": 10},
        format="json",
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert TimeEntry.objects.count() == 1


# --- billing --------------------------------------------------------------------------------
def test_billing_summary(api, patient, alice):
    patient.monitoring_started_on = dt.date(2026, 10, 1)
    patient.save()
    entry(patient, alice, minutes=12, interactive=True, day=dt.date(2026, 10, 5))
    response = api.get("/api/v1/billing?month=2026-10")
    assert response.status_code == HTTPStatus.OK
    (line,) = response.json()["results"]
    assert line["codes_met"] == ["99470"]
    assert line["management_minutes"] == 12
    assert line["periods"][0]["first_day"] == "2026-10-01"
    assert line["periods"][0]["dates_with_data"] == []
    assert line["time_entries"][0]["seconds"] == 720
    assert line["time_entries"][0]["performed_by"] == "alice"
    assert AuditEvent.objects.filter(action="billing.view").count() == 1


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "0999-01", "", "2026-10-01"])
def test_billing_bad_month(api, month):
    response = api.get(f"/api/v1/billing?month={month}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_parameter"


@pytest.mark.parametrize("query", ["patient=", "patient=0", "patient=-3", "month=2026-1"])
def test_time_entry_filters_are_what_the_schema_says(api, query):
    response = api.get(f"/api/v1/time-entries?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_alert_list_refuses_an_unknown_severity(api, alert):
    response = api.get("/api/v1/alerts?severity=urgent")
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_time_entry_for_a_patient_of_no_one_is_404(api, other_patient):
    response = api.post(
        "/api/v1/time-entries",
        {"patient": other_patient.pk, "day": "2026-11-02", "minutes": 10},
        format="json",
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["fields"] == {"patient": ["Not found."]}
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("minutes", "10"), ("office_visit", "yes")])
def test_time_entry_values_must_have_their_json_type(api, patient, field, value):
    body = {
        "patient": patient.pk,
        "day": services.patient_today(patient).isoformat(),
        "minutes": 10,
        field: value,
    }
    response = api.post("/api/v1/time-entries", body, format="json")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert list(response.json()["fields"]) == [field]
