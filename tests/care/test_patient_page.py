"""The whole-patient page (readings/care/patient_page.py): the header's facts, the latest of
each metric with blood pressure as one value, the timeline and its fragments (filter, older),
each audited, one organization's only, and a page cost that does not grow with the history."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.utils import timezone

from portal.enrolment_models import PatientDiagnosis, Program
from portal.models import AuditEvent, Sex
from readings.care.selectors import timeline
from tests.care.patient_history import patient_history
from tests.factories import ReadingFactory, entry, reading
from tests.factories.care import patient_device

pytestmark = pytest.mark.django_db


def page(patient):
    return f"/patients/{patient.pk}/"


def fragment(client, patient, target, **params):
    return client.get(page(patient), params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=target)


@pytest.fixture
def enrolled(patient, alice, petra):
    """Harriet as enrolment leaves her: sex, program, two diagnoses, her nurse and physician."""
    patient.sex = Sex.FEMALE
    patient.birth_date = dt.date(1950, 3, 14)
    patient.program = Program.objects.get_or_create(code="heart_failure", organization=None)[0]
    patient.primary_nurse = alice
    patient.ordering_physician = petra
    patient.save()
    PatientDiagnosis.objects.create(patient=patient, code="I50.22", description="Chronic HF")
    removed = PatientDiagnosis.objects.create(patient=patient, code="I10", description="HTN")
    PatientDiagnosis.objects.filter(pk=removed.pk).update(removed_at=timezone.now())
    return patient


def test_header_shows_who_the_patient_is_and_who_looks_after_them(nurse_client, enrolled):
    content = nurse_client.get(page(enrolled)).content.decode()

    today = timezone.now().astimezone(enrolled.tz).date()
    assert f"Age <strong>{enrolled.age_on(today)}</strong>" in content
    assert "Sex <strong>female</strong>" in content
    assert "Heart failure" in content
    assert "I50.22" in content
    assert "I10" not in content  # removed from the list
    assert "Alice Staff" in content
    assert "Petra" in content
    assert "No consent recorded" in content


def test_consent_recorded_with_its_date_and_method(nurse_client, enrolled, bob):
    enrolled.consent_on = dt.date(2026, 10, 2)
    enrolled.consent_method = "verbal"
    enrolled.consent_recorded_by = bob
    enrolled.save()

    content = nurse_client.get(page(enrolled)).content.decode()

    assert "Consent recorded Oct 2, 2026 (verbal)" in content
    assert "No consent recorded" not in content


def test_devices_with_their_last_reading_in_the_patients_time(nurse_client, patient):
    at = dt.datetime(2026, 11, 24, 12, 32, tzinfo=dt.UTC)
    reading(patient, "weight", 182, at=at)
    reading(patient, "weight", 181, at=at - dt.timedelta(days=1))
    cuff = patient_device(patient)

    content = nurse_client.get(page(patient)).content.decode()

    assert cuff.identifier in content
    assert "last reading Nov 24, 2026 7:32 AM EST" in content


def test_timeline_times_are_the_patients_local_time_with_the_zone(nurse_client, patient):
    reading(patient, "systolic", 191, at=dt.datetime(2026, 11, 24, 12, 32, tzinfo=dt.UTC))

    content = nurse_client.get(page(patient)).content.decode()

    assert "Nov 24, 2026<br>7:32 AM EST" in content


def test_blood_pressure_is_one_value(nurse_client, patient):
    at = timezone.now() - dt.timedelta(hours=1)
    for metric, value in (("systolic", 133), ("diastolic", 84), ("heart_rate", 71)):
        ReadingFactory(patient=patient, metric=metric, value=value, measured_at=at)
    # an older pair: never shown beside the newest
    ReadingFactory(patient=patient, metric="systolic", value=150, measured_at=at - dt.timedelta(1))

    content = nurse_client.get(page(patient)).content.decode()

    assert "133/84 <small>mmHg</small>" in content
    assert 'class="latest__label">Diastolic BP' not in content
    assert 'class="latest__label">Systolic BP' not in content
    assert "71 <small>bpm</small>" in content


def test_page_shows_the_timeline_and_audits_one_view(nurse_client, patient, alice):
    history = patient_history(patient, alice)
    before = AuditEvent.objects.count()

    response = nurse_client.get(page(patient))

    content = response.content.decode()
    assert "Outreach by phone: Left a message" in content
    assert f"/alerts/{history['alert'].pk}/" in content
    viewed = AuditEvent.objects.order_by("id")[before:].values_list("action", "patient")
    assert list(viewed) == [("patient.view", patient.pk)]


def test_timeline_filter_answers_the_list_and_audits_it(nurse_client, patient, alice):
    patient_history(patient, alice)
    before = AuditEvent.objects.count()

    response = fragment(nurse_client, patient, "timeline-list", kind=["visits"])

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="timeline-list"')
    assert "Video visit: completed" in content
    assert "Outreach" not in content
    [event] = AuditEvent.objects.order_by("id")[before:]
    assert (event.action, event.patient, event.detail) == (
        "patient.timeline",
        patient,
        {"kinds": ["visits"], "older": False},
    )


def test_older_answers_the_next_items_and_keeps_the_filter(nurse_client, patient, alice):
    now = timezone.now()
    for days in range(timeline.PAGE_SIZE + 3):
        day = now.astimezone(patient.tz).date() - dt.timedelta(days=days)
        e = entry(patient, alice, minutes=5, interactive=True, day=day)
        type(e).objects.filter(pk=e.pk).update(created_at=now - dt.timedelta(days=days))

    first = nurse_client.get(page(patient), {"kind": "calls"}).content.decode()
    assert first.count('class="timeline__item') == timeline.PAGE_SIZE
    assert "?kind=calls&amp;before=" in first
    cursor = timeline.patient_timeline(patient, kinds=["calls"]).next_cursor

    older = fragment(nurse_client, patient, "timeline-older", kind="calls", before=cursor)

    assert older.content.decode().count('class="timeline__item') == 3
    assert AuditEvent.objects.filter(action="patient.timeline", detail__older=True).count() == 1


def test_outsider_gets_404_for_the_page_and_its_fragments(client, olga, patient):
    client.force_login(olga)

    assert client.get(page(patient)).status_code == HTTPStatus.NOT_FOUND
    assert fragment(client, patient, "timeline-list").status_code == HTTPStatus.NOT_FOUND


def test_page_queries_do_not_grow_with_the_history(
    nurse_client, patient, alice, django_assert_max_num_queries
):
    patient_history(patient, alice)
    nurse_client.get(page(patient))  # the rules cache warmed, as on any page after the first
    with django_assert_max_num_queries(80) as small:
        nurse_client.get(page(patient))
    now = timezone.now()
    for days in range(2, 30):
        reading(patient, "systolic", 186, at=now - dt.timedelta(days=days))
        day = now.astimezone(patient.tz).date() - dt.timedelta(days=days)
        entry(patient, alice, minutes=5, interactive=True, day=day)

    with django_assert_max_num_queries(len(small.captured_queries)):
        nurse_client.get(page(patient))
