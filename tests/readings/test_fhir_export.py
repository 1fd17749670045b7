"""GET /api/v1/patients/{id}/observations — FHIR R4 Observations (vital-signs profiles),
content negotiation, and the chart page's link to it. Bundles are also checked against the
R4(B) structure with fhir.resources (a dev dependency; R4B's Bundle and Observation are R4's
for every element exported here)."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from http import HTTPStatus

import pytest
from fhir.resources.R4B.bundle import Bundle

from portal.models import AuditEvent
from tests.factories import ReadingFactory


def bp_and_weight(patient):
    at = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
    common = {"patient": patient, "measured_at": at, "patient_tz_offset": -18000}
    ReadingFactory(
        metric="systolic", value=142, measurement_group="g1", source_record_id="r1", **common
    )
    ReadingFactory(
        metric="diastolic", value=91, measurement_group="g1", source_record_id="r1", **common
    )
    return ReadingFactory(metric="weight", value=182.4, source_record_id="r2", **common)


def test_bp_and_weight_validate_as_r4_observations(api, patient, time_machine):
    # Without from/to the export is the last 30 days: read it a few days after the readings
    # (on the real clock they would age out of the window on 2026-12-20).
    time_machine.move_to(datetime(2026, 11, 25, 15, tzinfo=UTC))
    weight = bp_and_weight(patient)
    response = api.get(f"/api/v1/patients/{patient.pk}/observations")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    Bundle.model_validate(body)  # raises on anything not R4(B)-valid
    assert len(body["entry"]) == 2  # one BP Observation with two components, one weight
    resources = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    bp = next(r for key, r in resources.items() if key.startswith("bp-"))
    assert bp["code"]["coding"][0]["code"] == "85354-9"
    assert bp["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bp"]
    assert bp["effectiveDateTime"] == "2026-11-20T07:30:00-05:00"
    assert [
        (c["code"]["coding"][0]["code"], c["valueQuantity"]["value"], c["valueQuantity"]["code"])
        for c in bp["component"]
    ] == [("8480-6", 142.0, "mm[Hg]"), ("8462-4", 91.0, "mm[Hg]")]
    assert "valueQuantity" not in bp
    body_weight = resources[f"reading-{weight.pk}"]
    assert body_weight["code"]["coding"][0]["code"] == "29463-7"
    assert body_weight["valueQuantity"] == {
        "value": 182.4,
        "unit": "lb",
        "system": "http://unitsofmeasure.org",
        "code": "[lb_av]",
    }
    assert body_weight["category"][0]["coding"][0]["code"] == "vital-signs"
    assert body_weight["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert AuditEvent.objects.filter(action="reading.export_fhir", patient=patient).count() == 1


def test_pages_never_split_a_blood_pressure(api, patient, django_assert_max_num_queries):
    from readings.api.observations import ObservationsView

    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    for n in range(5):  # five cuff readings: systolic + diastolic at the same instant
        at = start - timedelta(hours=n)
        for metric, value in (("systolic", 120 + n), ("diastolic", 80 + n)):
            ReadingFactory(
                patient=patient,
                metric=metric,
                value=value,
                measured_at=at,
                measurement_group=f"g{n}",
                source_record_id=f"g{n}",
            )
    ObservationsView.page_size = 3  # would cut the second BP in half
    try:
        url = f"/api/v1/patients/{patient.pk}/observations?from=2026-11-01T00:00:00Z"
        seen = []
        while url:
            with django_assert_max_num_queries(9):
                body = api.get(url).json()
            Bundle.model_validate(body)
            seen += [e["resource"]["component"][0]["valueQuantity"]["value"] for e in body["entry"]]
            url = next((li["url"] for li in body["link"] if li["relation"] == "next"), None)
        assert seen == [120.0, 121.0, 122.0, 123.0, 124.0]
    finally:
        ObservationsView.page_size = 200
    for n in range(40):
        ReadingFactory(patient=patient, metric="weight", value=150 + n)
    with django_assert_max_num_queries(8):
        api.get(f"/api/v1/patients/{patient.pk}/observations")


def test_outsider_gets_404_and_anonymous_401(outsider_api, client, patient):
    bp_and_weight(patient)
    assert outsider_api.get(f"/api/v1/patients/{patient.pk}/observations").status_code == 404
    assert client.get(f"/api/v1/patients/{patient.pk}/observations").status_code == 401


def test_readings_list_endpoint(api, outsider_api, patient, django_assert_max_num_queries):
    for n in range(30):
        ReadingFactory(patient=patient, metric="heart_rate", value=60 + n)
    ReadingFactory(patient=patient, metric="weight", value=150)
    url = f"/api/v1/patients/{patient.pk}/readings"
    with django_assert_max_num_queries(8):
        body = api.get(url, {"metric": "heart_rate", "page_size": 10}).json()
    assert len(body["results"]) == 10
    assert {r["metric"] for r in body["results"]} == {"heart_rate"}
    first = body["results"][0]
    assert set(first) == {
        "id",
        "metric",
        "metric_key",
        "value",
        "value_text",
        "unit",
        "loinc",
        "measured_at",
        "local_time",
        "device_tz_offset",
        "patient_tz_offset",
        "source",
        "device",
        "manual",
        "origin",  # issue 15: the vendor's origin, and the record's earlier versions
        "measurement_group",
        "history",
    }
    assert first["history"] == []
    assert api.get(url, {"from": "yesterday"}).status_code == HTTPStatus.BAD_REQUEST
    assert outsider_api.get(url).status_code == HTTPStatus.NOT_FOUND
    assert AuditEvent.objects.filter(action="reading.list", patient=patient).count() == 1


# --- the R4 vital-signs profiles (http://hl7.org/fhir/R4/observation-vitalsigns.html) -------
# Written from the R4 specification, not from readings.fhir: what each exported metric must
# carry. (metric, meta.profile or None, category, LOINC codes in Observation.code, UCUM code).
SD = "http://hl7.org/fhir/StructureDefinition/"
R4_VITAL_SIGNS = [
    ("heart_rate", SD + "heartrate", "vital-signs", ["8867-4"], "/min", 72),
    ("respiratory_rate", SD + "resprate", "vital-signs", ["9279-1"], "/min", 16),
    ("weight", SD + "bodyweight", "vital-signs", ["29463-7"], "[lb_av]", 182.4),
    ("temperature", SD + "bodytemp", "vital-signs", ["8310-5"], "[degF]", 98.6),
    # oxygensat fixes 2708-6; a pulse oximeter's reading is also 59408-5.
    ("spo2", SD + "oxygensat", "vital-signs", ["2708-6", "59408-5"], "%", 97),
    # Vital signs without a profile of their own claim the base profile.
    ("mean_arterial_pressure", SD + "vitalsigns", "vital-signs", ["8478-0"], "mm[Hg]", 93),
    ("systolic", SD + "vitalsigns", "vital-signs", ["8480-6"], "mm[Hg]", 142),
    ("diastolic", SD + "vitalsigns", "vital-signs", ["8462-4"], "mm[Hg]", 91),
    # Not R4 vital signs: no vital-signs profile claimed.
    ("glucose", None, "laboratory", ["2339-0"], "mg/dL", 104),
    ("steps", None, "activity", ["55423-8"], "{steps}", 4200),
]
WINDOW = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"
AT = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def export(client, patient, **headers):
    return client.get(f"/api/v1/patients/{patient.pk}/observations?{WINDOW}", **headers)


def only_resource(response):
    body = response.json()
    Bundle.model_validate(body)
    assert len(body["entry"]) == 1
    return body["entry"][0]["resource"]


@pytest.mark.parametrize(
    ("metric", "profile", "category", "codes", "ucum", "value"),
    R4_VITAL_SIGNS,
    ids=[row[0] for row in R4_VITAL_SIGNS],
)
def test_each_metric_follows_its_r4_profile(
    api, patient, metric, profile, category, codes, ucum, value
):
    # A lone systolic/diastolic (no partner in its measurement group) is one of these rows.
    ReadingFactory(
        patient=patient, metric=metric, value=value, measured_at=AT, patient_tz_offset=-18000
    )
    resource = only_resource(export(api, patient))
    assert resource.get("meta", {}).get("profile") == ([profile] if profile else None)
    assert resource["category"][0]["coding"] == [
        {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": category}
    ]
    assert [(c["system"], c["code"]) for c in resource["code"]["coding"]] == [
        ("http://loinc.org", code) for code in codes
    ]
    quantity = resource["valueQuantity"]
    assert (quantity["value"], quantity["system"], quantity["code"]) == (
        value,
        "http://unitsofmeasure.org",
        ucum,
    )
    assert resource["effectiveDateTime"] == "2026-11-20T07:30:00-05:00"
    assert resource["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert resource["status"] == "final"
    assert "component" not in resource


def test_spo2_carries_the_oxygensat_code_and_the_pulse_oximetry_code(api, patient):
    ReadingFactory(patient=patient, metric="spo2", value=95, measured_at=AT)
    resource = only_resource(export(api, patient))
    assert resource["code"] == {
        "coding": [
            {
                "system": "http://loinc.org",
                "code": "2708-6",
                "display": "Oxygen saturation in Arterial blood",
            },
            {
                "system": "http://loinc.org",
                "code": "59408-5",
                "display": "Oxygen saturation in Arterial blood by Pulse oximetry",
            },
        ],
        "text": "Oxygen saturation in Arterial blood by Pulse oximetry",
    }
    assert resource["valueQuantity"] == {
        "value": 95.0,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }


@pytest.mark.parametrize(
    ("present", "group"),
    [
        ("systolic", "cuff-1"),  # the cuff sent the systolic only
        ("diastolic", "cuff-1"),
        ("systolic", ""),  # a manual or patient-graph reading with no measurement group
        ("diastolic", ""),
    ],
)
def test_a_blood_pressure_half_without_its_partner_is_exported_on_its_own(
    api, patient, present, group
):
    value = {"systolic": 151, "diastolic": 97}[present]
    reading = ReadingFactory(
        patient=patient, metric=present, value=value, measured_at=AT, measurement_group=group
    )
    resource = only_resource(export(api, patient))
    assert resource["id"] == f"reading-{reading.pk}"
    assert resource["meta"] == {"profile": [SD + "vitalsigns"]}
    code = {"systolic": "8480-6", "diastolic": "8462-4"}[present]
    assert resource["code"]["coding"][0]["code"] == code
    assert resource["valueQuantity"]["value"] == value
    assert resource["valueQuantity"]["code"] == "mm[Hg]"


def test_a_pair_is_one_bp_and_an_extra_half_in_its_group_is_not_lost(api, patient):
    pair = {"measured_at": AT, "measurement_group": "g1"}
    ReadingFactory(patient=patient, metric="systolic", value=130, **pair)
    ReadingFactory(patient=patient, metric="diastolic", value=85, **pair)
    extra = ReadingFactory(patient=patient, metric="systolic", value=131, **pair)
    lone = ReadingFactory(
        patient=patient,
        metric="diastolic",
        value=88,
        measured_at=AT - timedelta(hours=1),
        measurement_group="g2",
    )
    body = export(api, patient).json()
    Bundle.model_validate(body)
    by_id = {e["resource"]["id"]: e["resource"] for e in body["entry"]}
    assert len(by_id) == 3
    bp = next(r for key, r in by_id.items() if key.startswith("bp-"))
    assert [c["valueQuantity"]["value"] for c in bp["component"]] == [130.0, 85.0]
    assert by_id[f"reading-{extra.pk}"]["valueQuantity"]["value"] == 131.0
    assert by_id[f"reading-{lone.pk}"]["code"]["coding"][0]["code"] == "8462-4"


def test_effective_time_is_in_the_patients_offset(api, patient):
    # No offset sent: the patient's time zone at that instant (New York, EDT in July).
    ReadingFactory(
        patient=patient, metric="weight", measured_at=datetime(2026, 7, 1, 3, 5, tzinfo=UTC)
    )
    body = api.get(
        f"/api/v1/patients/{patient.pk}/observations"
        "?from=2026-06-01T00:00:00Z&to=2026-08-01T00:00:00Z"
    ).json()
    assert body["entry"][0]["resource"]["effectiveDateTime"] == "2026-06-30T23:05:00-04:00"


# --- content negotiation ----------------------------------------------------------------
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/fhir+json", "application/fhir+json"),
        ("application/fhir+json; fhirVersion=4.0", "application/fhir+json"),
        ("application/json", "application/json"),
        ("*/*", "application/fhir+json"),
        (None, "application/fhir+json"),
        (BROWSER_ACCEPT, "application/fhir+json"),  # the chart page's link
    ],
)
def test_accepted_media_types_answer_200_in_that_type(api, patient, accept, content_type):
    ReadingFactory(patient=patient, metric="heart_rate", value=64, measured_at=AT)
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = export(api, patient, **headers)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == content_type
    assert "Accept" in response["Vary"]
    assert only_resource(response)["valueQuantity"]["value"] == 64.0


@pytest.mark.parametrize("accept", ["application/xml", "application/fhir+xml", "text/csv"])
def test_an_unsupported_accept_is_a_406_json_error(api, patient, accept):
    response = export(api, patient, HTTP_ACCEPT=accept)
    assert response.status_code == HTTPStatus.NOT_ACCEPTABLE
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "error": "not_acceptable",
        "message": "Could not satisfy the request Accept header.",
        "fields": {},
    }
    assert not AuditEvent.objects.filter(action="reading.export_fhir").exists()


def test_errors_are_json_even_when_fhir_was_asked_for(outsider_api, api, patient):
    response = export(outsider_api, patient, HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"
    bad = api.get(
        f"/api/v1/patients/{patient.pk}/observations?from=soon",
        HTTP_ACCEPT="application/fhir+json",
    )
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert bad["Content-Type"] == "application/json"
    assert bad.json()["error"] == "invalid_parameter"


def test_the_api_key_export_is_audited(api, org_key, patient):
    ReadingFactory(patient=patient, metric="spo2", value=96, measured_at=AT)
    assert export(api, patient, HTTP_ACCEPT="application/fhir+json").status_code == 200
    event = AuditEvent.objects.get(action="reading.export_fhir")
    assert (event.patient, event.api_key, event.actor) == (patient, org_key[0], None)


# --- the chart page's link ---------------------------------------------------------------
def fhir_link(html: str) -> str:
    match = re.search(r'href="(/api/v1/patients/\d+/observations\?[^"]+)"[^>]*>FHIR<', html)
    assert match, "the chart page has no FHIR link"
    return unescape(match[1])


def test_the_chart_links_to_the_fhir_export_of_what_it_shows(nurse_client, alice, patient):
    ReadingFactory(patient=patient, metric="spo2", value=93)  # an hour ago
    ReadingFactory(patient=patient, metric="weight", value=180)
    page = nurse_client.get(f"/readings/patients/{patient.pk}/?metric=spo2&range=7d")
    assert page.status_code == HTTPStatus.OK
    url = fhir_link(page.content.decode())
    assert url.startswith(f"/api/v1/patients/{patient.pk}/observations?metric=spo2&from=")
    # Followed by the signed-in staff member's browser: the session authenticates it.
    response = nurse_client.get(url, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/fhir+json"
    resource = only_resource(response)  # the SpO2 only, as the chart shows
    assert resource["code"]["coding"][0]["code"] == "2708-6"
    event = AuditEvent.objects.get(action="reading.export_fhir")
    assert (event.patient, event.actor, event.api_key) == (patient, alice, None)


def test_the_link_is_a_404_for_another_organizations_staff(client, olga, nurse_client, patient):
    ReadingFactory(patient=patient, metric="spo2", value=93)
    url = fhir_link(nurse_client.get(f"/readings/patients/{patient.pk}/").content.decode())
    client.force_login(olga)
    response = client.get(url, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"] == "not_found"
    assert not AuditEvent.objects.filter(action="reading.export_fhir").exists()
