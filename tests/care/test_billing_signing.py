"""Signing a month's billing report: a physician/QHP signs an ended month once; its lines and
evidence are frozen; a reading or time entry that arrives later shows as an amendment beside
the signed figures; each signed patient-month has an evidence packet (page and CSV)."""

import csv
import datetime as dt
import io
import zoneinfo
from http import HTTPStatus

import pytest
from rest_framework.test import APIClient

from portal.models import AuditEvent
from readings.care import signing
from readings.care.signing_models import BillingSignature, SignedPatientMonth
from tests.factories import AssignedDeviceFactory, PatientFactory, entry, reading

pytestmark = pytest.mark.both_databases  # billing figures: also on SQLite

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
SEPTEMBER = dt.date(2026, 9, 1)  # period Sep 1–30 ends in September
AFTER = dt.datetime(2026, 10, 5, 15, tzinfo=dt.UTC)


def at_local(day: dt.date, hour=9):
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHICAGO).astimezone(dt.UTC)


@pytest.fixture
def month_of_care(org, alice):
    """Three device days (the first with two readings) and 12 minutes with a call: 99453,
    99445 and 99470 in September."""
    patient = PatientFactory(
        organization=org,
        last_name="Signed",
        first_name="Sam",
        time_zone="America/Chicago",
        monitoring_started_on=SEPTEMBER,
    )
    cuff = AssignedDeviceFactory(organization=org, assigned_patient=patient, identifier="BT-77")
    readings = [
        reading(patient, "systolic", 131, at=at_local(SEPTEMBER, 8), device=cuff),
        reading(patient, "systolic", 127, at=at_local(SEPTEMBER, 12), device=cuff),
        reading(patient, "systolic", 125, at=at_local(dt.date(2026, 9, 2)), device=cuff),
        reading(patient, "weight", 81.5, at=at_local(dt.date(2026, 9, 3)), device=cuff),
    ]
    entry(patient, alice, minutes=12, day=dt.date(2026, 9, 10), interactive=True, activity="call")
    return patient, readings, cuff


def sign(by, org, **kwargs):
    return signing.billing_month_sign(organization=org, month=SEPTEMBER, by=by, now=AFTER, **kwargs)


def later_changes(patient, alice, cuff):
    """After signing: a fourth device day and 10 more minutes (now 22 min: 99457)."""
    late = reading(patient, "systolic", 140, at=at_local(dt.date(2026, 9, 4)), device=cuff)
    added = entry(patient, alice, minutes=10, day=dt.date(2026, 9, 20), activity="care_plan")
    return late, added


def test_signing_freezes_the_month_and_later_data_is_an_amendment(org, petra, alice, month_of_care):
    patient, _, cuff = month_of_care
    signature, created = sign(petra, org)
    assert created
    assert (signature.version, signature.signer_role, signature.patients) == (1, "physician", 1)
    assert signature.codes == {"99445": 1, "99453": 1, "99470": 1}
    signed = SignedPatientMonth.objects.get(signature=signature, patient=patient)
    frozen = (signed.line, signed.evidence)

    later_changes(patient, alice, cuff)

    signed.refresh_from_db()
    assert (signed.line, signed.evidence) == frozen  # never a silent change
    assert [c["code"] for c in signed.line["codes"]] == ["99453", "99445", "99470"]
    assert signed.line["device_days"] == ["2026-09-01", "2026-09-02", "2026-09-03"]
    amendment = signing.amendments(signature, [signed], now=AFTER)[patient.pk]
    assert amendment.status == "changed"
    assert amendment.codes_signed == ["99453", "99445", "99470"]
    assert amendment.codes_now == ["99453", "99445", "99457"]
    assert "codes: 99453 99445 99470 → 99453 99445 99457" in amendment.changes
    assert "device days added: Sep 4" in amendment.changes
    assert "1 reading added (Sep 4)" in amendment.changes
    assert any(
        c.startswith("time entry added: 2026-09-20 · 10 min · Care plan update")
        for c in amendment.changes
    )


def test_signing_again_returns_the_signature_unchanged(org, petra, month_of_care):
    first, created = sign(petra, org)
    again, created_again = sign(petra, org)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert BillingSignature.objects.count() == 1


def test_the_amendment_is_signed_as_a_new_version_keeping_the_old(org, petra, alice, month_of_care):
    patient, _, cuff = month_of_care
    first, _ = sign(petra, org)
    with pytest.raises(signing.SigningError) as nothing:
        sign(petra, org, amend=True)
    assert nothing.value.code == "nothing_to_amend"
    later_changes(patient, alice, cuff)
    second, created = sign(petra, org, amend=True)
    assert (created, second.version, second.supersedes_id) == (True, 2, first.pk)
    assert second.codes == {"99445": 1, "99453": 1, "99457": 1}
    assert signing.signature_current(org, SEPTEMBER) == second
    assert SignedPatientMonth.objects.filter(signature=first).count() == 1  # kept
    signed = SignedPatientMonth.objects.get(signature=second)
    assert signing.amendments(second, [signed], now=AFTER)[patient.pk].status == "same"


def test_a_month_not_ended_everywhere_is_not_signed(org, petra, month_of_care):
    # 30 September 23:00 in Chicago is 1 October 04:00 UTC: still September at UTC−12.
    with pytest.raises(signing.SigningError) as refused:
        signing.billing_month_sign(
            organization=org,
            month=SEPTEMBER,
            by=petra,
            now=dt.datetime(2026, 10, 1, 4, tzinfo=dt.UTC),
        )
    assert refused.value.code == "month_not_ended"
    assert signing.month_ended(SEPTEMBER, dt.datetime(2026, 10, 1, 12, 1, tzinfo=dt.UTC))


# --- pages ----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["alice", "bob", "ada"])
def test_only_a_physician_signs_on_the_page(client, request, who, month_of_care):
    client.force_login(request.getfixturevalue(who))
    response = client.post("/billing/sign/", {"month": "2026-09", "attest": "on"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not BillingSignature.objects.exists()


def test_the_physician_signs_and_the_page_shows_signed_figures_and_amendment(
    client, petra, alice, month_of_care
):
    patient, _, cuff = month_of_care
    client.force_login(petra)
    page = client.get("/billing/?month=2026-09").content.decode()
    assert "Sign September 2026" in page
    response = client.post("/billing/sign/", {"month": "2026-09", "attest": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert BillingSignature.objects.get().signed_by == petra
    assert AuditEvent.objects.filter(action="billing.sign", actor=petra).count() == 1

    later_changes(patient, alice, cuff)
    page = client.get("/billing/?month=2026-09").content.decode()
    assert "Signed by <strong>Petra" in page
    assert "99470" in page  # the signed code stays
    assert "codes now: 99453 99445 99457" in page
    assert "device days added: Sep 4" in page
    assert "Sign the amendment as version 2" in page


def test_signing_needs_the_attestation(client, petra, month_of_care):
    client.force_login(petra)
    client.post("/billing/sign/", {"month": "2026-09"})
    assert not BillingSignature.objects.exists()


def packet_urls(signature, patient):
    base = f"/billing/signed/{signature.pk}/patients/{patient.pk}"
    return f"{base}/", f"{base}.csv"


@pytest.mark.parametrize("who", ["alice", "bob", "ada", "petra"])
def test_staff_read_the_packet(client, request, who, org, petra, month_of_care):
    patient = month_of_care[0]
    signature, _ = sign(petra, org)
    client.force_login(request.getfixturevalue(who))
    for url in packet_urls(signature, patient):
        assert client.get(url).status_code == HTTPStatus.OK


def test_another_organization_gets_404(client, olga, org, petra, month_of_care):
    patient = month_of_care[0]
    signature, _ = sign(petra, org)
    client.force_login(olga)
    for url in packet_urls(signature, patient):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_the_csv_packet_holds_days_readings_time_contact_and_signature(
    client, org, petra, alice, month_of_care
):
    patient, readings, cuff = month_of_care
    signature, _ = sign(petra, org)
    later_changes(patient, alice, cuff)
    client.force_login(petra)
    response = client.get(packet_urls(signature, patient)[1])
    assert response["Content-Type"] == "text/csv"
    assert f"rpm-evidence-2026-09-v1-patient-{patient.pk}.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by = {}
    for row in rows:
        by.setdefault(row["section"], []).append(row)
    assert by["signature"][0]["person"] == petra.get_full_name()
    assert by["signature"][0]["role"] == "Physician / QHP"
    assert "2026-09 version 1" in by["signature"][0]["detail"]
    assert [r["day"] for r in by["device_day"]] == ["2026-09-01", "2026-09-02", "2026-09-03"]
    assert [int(r["id"]) for r in by["reading"]] == [r.pk for r in readings]
    assert {r["device"] for r in by["reading"]} == {"BT-77"}
    assert [(r["metric"], r["value"], r["day"]) for r in by["reading"][2:]] == [
        ("systolic", "125.0", "2026-09-02"),
        ("weight", "81.5", "2026-09-03"),
    ]
    contact = by["contact"][0]
    assert (contact["day"], contact["minutes"], contact["person"], contact["role"]) == (
        "2026-09-10",
        "12",
        alice.get_full_name(),
        "Nurse",
    )
    assert (contact["clinical_staff"], contact["interactive_contact"]) == ("yes", "yes")
    assert contact["activity"].startswith("Real-time call")  # Activity.CALL's label
    assert "time_entry" not in by  # the entry added after signing is not evidence
    assert any(r["detail"] == "device days added: Sep 4" for r in by["amendment"])
    assert AuditEvent.objects.filter(
        action="billing.evidence.export", patient=patient, actor=petra
    ).exists()


def test_the_printable_packet(client, org, petra, bob, month_of_care):
    patient, readings, _ = month_of_care
    signature, _ = sign(petra, org)
    client.force_login(bob)
    page = client.get(packet_urls(signature, patient)[0]).content.decode()
    for text in (
        "RPM evidence packet · September 2026",
        "Device days and the readings behind each day",
        '2026-09-01<div class="care-meta">2 readings</div>',
        str(readings[0].pk),
        "BT-77",
        "Time entries",
        "Interactive contact",
        petra.get_full_name(),
        signing.ATTESTATION,
        "No change since signing",
        "data-print",
    ):
        assert text in page, text
    assert AuditEvent.objects.filter(
        action="billing.evidence.view", patient=patient, actor=bob
    ).exists()


# --- API ------------------------------------------------------------------------------------
def session(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_api_signs_once_and_refuses_other_roles(petra, alice, month_of_care):
    body = {"month": "2026-09"}
    assert session(alice).post("/api/v1/billing/signatures", body, format="json").status_code == (
        HTTPStatus.FORBIDDEN
    )
    first = session(petra).post("/api/v1/billing/signatures", body, format="json")
    assert first.status_code == HTTPStatus.CREATED, first.content
    again = session(petra).post("/api/v1/billing/signatures", body, format="json")
    assert (again.status_code, again.json()["id"]) == (HTTPStatus.OK, first.json()["id"])
    assert first.json()["month"] == "2026-09"
    assert first.json()["codes"] == {"99445": 1, "99453": 1, "99470": 1}


def test_api_key_cannot_sign_and_input_is_strict(api, petra, month_of_care):
    response = api.post("/api/v1/billing/signatures", {"month": "2026-09"}, format="json")
    assert (response.status_code, response.json()["error"]) == (
        HTTPStatus.FORBIDDEN,
        "physician_required",
    )
    response = session(petra).post(
        "/api/v1/billing/signatures", {"month": "2026-09", "sign": True}, format="json"
    )
    assert (response.status_code, response.json()["fields"]) == (
        HTTPStatus.UNPROCESSABLE_ENTITY,
        {"sign": ["Unknown field."]},
    )


def test_api_refuses_a_month_not_ended(petra, month_of_care):
    response = session(petra).post(
        "/api/v1/billing/signatures", {"month": "2100-12"}, format="json"
    )
    assert (response.status_code, response.json()["error"]) == (
        HTTPStatus.CONFLICT,
        "month_not_ended",
    )


def test_api_reads_lines_and_packet_with_the_amendment(
    api, outsider_api, org, petra, alice, month_of_care
):
    patient, readings, cuff = month_of_care
    signature, _ = sign(petra, org)
    late, _ = later_changes(patient, alice, cuff)
    listed = api.get("/api/v1/billing/signatures?month=2026-09").json()["results"]
    assert [s["id"] for s in listed] == [signature.pk]
    lines = api.get(f"/api/v1/billing/signatures/{signature.pk}/lines").json()["results"]
    assert [c["code"] for c in lines[0]["codes"]] == ["99453", "99445", "99470"]
    assert lines[0]["amendment"]["codes_now"] == ["99453", "99445", "99457"]
    packet = api.get(f"/api/v1/billing/signatures/{signature.pk}/patients/{patient.pk}")
    assert packet.status_code == HTTPStatus.OK
    data = packet.json()
    assert [d["day"] for d in data["device_days"]] == ["2026-09-01", "2026-09-02", "2026-09-03"]
    assert [r["id"] for d in data["device_days"] for r in d["readings"]] == [r.pk for r in readings]
    assert late.pk not in [r["id"] for d in data["device_days"] for r in d["readings"]]
    assert data["time_entries"][0]["person"]["role"] == "Nurse"
    assert data["signature"]["signer_name"] == petra.get_full_name()
    assert "1 reading added (Sep 4)" in data["amendment"]["changes"]
    assert AuditEvent.objects.filter(action="billing.evidence.view", patient=patient).exists()
    for url in (
        f"/api/v1/billing/signatures/{signature.pk}",
        f"/api/v1/billing/signatures/{signature.pk}/lines",
        f"/api/v1/billing/signatures/{signature.pk}/patients/{patient.pk}",
    ):
        assert outsider_api.get(url).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("count", [2, 20])
def test_signed_page_query_count_is_constant(
    client, org, petra, alice, count, django_assert_max_num_queries
):
    for i in range(count):
        p = PatientFactory(organization=org, monitoring_started_on=SEPTEMBER)
        reading(p, "systolic", 120, at=at_local(SEPTEMBER))
        reading(p, "systolic", 121, at=at_local(dt.date(2026, 9, 2)))
        entry(p, alice, minutes=5 + i, day=dt.date(2026, 9, 12))
    sign(petra, org)
    client.force_login(petra)
    with django_assert_max_num_queries(21):  # + the Solo visits that count as the contact
        response = client.get("/billing/?month=2026-09")
    assert len(response.context["signed_rows"]) == count


def billing_csv(client) -> list[dict]:
    response = client.get("/billing.csv", {"month": "2026-09"})
    assert response.status_code == HTTPStatus.OK
    return list(csv.DictReader(io.StringIO(response.content.decode())))


FIGURES = ["device_dates", "management_minutes", "interactive_call", "time_entries", "codes_met"]


def test_a_signed_month_exports_the_signed_lines_not_live_figures(
    client, org, petra, alice, month_of_care
):
    patient, _, cuff = month_of_care
    client.force_login(alice)
    unsigned = billing_csv(client)
    assert [r["signed_version"] for r in unsigned] == [""]
    signature, _ = sign(petra, org)

    # Signed and unchanged: the same figures, word for word, now stamped with the signature.
    signed = billing_csv(client)
    stamp = {"signed_version": "1", "signed_at": signature.signed_at.isoformat()}
    assert signed == [{**unsigned[0], **stamp, "since_signing": "unchanged"}]

    # Data arriving after signing changes the page's amendment, not the exported figures.
    later_changes(patient, alice, cuff)
    newcomer = PatientFactory(organization=org, last_name="Newer", monitoring_started_on=SEPTEMBER)
    reading(newcomer, "systolic", 120, at=at_local(dt.date(2026, 9, 8)), device=None)
    entry(newcomer, alice, minutes=5, day=dt.date(2026, 9, 9))
    after = {r["last_name"]: r for r in billing_csv(client)}
    assert {k: after["Signed"][k] for k in FIGURES} == {k: unsigned[0][k] for k in FIGURES}
    assert after["Signed"]["codes_met"] == "99453 99445 99470"
    assert after["Signed"]["since_signing"] == "changed since signing"
    assert (after["Newer"]["signed_version"], after["Newer"]["since_signing"]) == (
        "",
        "not signed (listed since)",
    )
    export = AuditEvent.objects.filter(action="billing.export").latest("id")
    assert export.detail == {"month": "2026-09", "patients": 2, "signed_version": 1}
