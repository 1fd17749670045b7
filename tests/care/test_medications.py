"""The medication list on the patient page (readings/care/medications.py and medication_views):
clinical staff add, change and stop entries; every change keeps the earlier values and writes
the audit log; coordinators read; a refused form comes back with its errors and the input."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from portal.models import AuditEvent
from readings.care.medication_models import Medication, MedicationChange
from readings.care.medications import medication_add, medication_stop, medication_update

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def meds_url(patient):
    return f"/patients/{patient.pk}/medications/"


@pytest.fixture
def furosemide(patient, alice):
    return medication_add(
        patient=patient, by=alice, name="Furosemide", dose="20 mg", schedule="once daily"
    )


def test_a_change_keeps_the_earlier_values_and_who_changed_it(patient, alice, petra, furosemide):
    medication_update(medication=furosemide, by=petra, dose="40 mg")
    medication_stop(medication=furosemide, by=alice)

    changes = list(furosemide.changes.values_list("action", "before__dose", "after__dose", "by"))
    assert changes == [
        ("added", None, "20 mg", alice.pk),
        ("edited", "20 mg", "40 mg", petra.pk),
        ("stopped", "40 mg", None, alice.pk),
    ]
    furosemide.refresh_from_db()
    assert (furosemide.dose, furosemide.changed_by, furosemide.stopped_by) == (
        "40 mg",
        alice,
        alice,
    )
    actions = (
        AuditEvent.objects.filter(patient=patient).order_by("id").values_list("action", "detail")
    )
    assert list(actions) == [
        ("medication.added", {}),
        ("medication.edited", {"fields": ["dose"]}),
        ("medication.stopped", {}),
    ]


def test_saving_the_same_values_writes_no_history(furosemide, alice):
    medication_update(medication=furosemide, by=alice, dose="20 mg")

    assert furosemide.changes.count() == 1


def test_a_stopped_medication_is_not_changed(furosemide, alice):
    medication_stop(medication=furosemide, by=alice)

    with pytest.raises(ValidationError):
        medication_update(medication=furosemide, by=alice, dose="80 mg")


def test_nurse_adds_from_the_page_and_gets_the_section_back(nurse_client, patient, alice):
    response = nurse_client.post(
        meds_url(patient),
        {"name": "Lisinopril", "dose": "10 mg", "schedule": "each morning"},
        **HX,
    )

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="medications"')
    assert "Lisinopril" in content
    assert "Added" in content
    assert "by Alice Staff" in content
    assert Medication.objects.get().created_by == alice


def test_refused_form_shows_the_error_beside_the_field_and_keeps_the_input(nurse_client, patient):
    response = nurse_client.post(
        meds_url(patient), {"name": "  ", "dose": "10 mg", "schedule": "nightly"}, **HX
    )

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'id="med-name-error"' in content
    assert 'value="10 mg"' in content
    assert 'value="nightly"' in content
    assert '<details class="patient-meds__add" open>' in content
    assert not Medication.objects.exists()


def test_start_date_in_the_future_is_refused(nurse_client, patient):
    nurse_client.post(meds_url(patient), {"name": "Aspirin", "started_on": "2999-01-01"}, **HX)

    assert not Medication.objects.exists()


def test_nurse_changes_and_stops_from_the_page(nurse_client, furosemide):
    form = nurse_client.get(f"/medications/{furosemide.pk}/", **HX).content.decode()
    assert 'value="20 mg"' in form

    nurse_client.post(
        f"/medications/{furosemide.pk}/", {"name": "Furosemide", "dose": "40 mg"}, **HX
    )
    response = nurse_client.post(f"/medications/{furosemide.pk}/stop/", **HX)

    assert "Stopped medications (1)" in response.content.decode()
    assert list(furosemide.changes.values_list("action", flat=True)) == [
        "added",
        "edited",
        "stopped",
    ]


def test_without_javascript_the_page_reloads_with_a_message(nurse_client, patient):
    response = nurse_client.post(meds_url(patient), {"name": ""})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/patients/{patient.pk}/#medications"


def test_coordinator_reads_but_does_not_keep_the_list(client, bob, patient, furosemide):
    client.force_login(bob)

    listed = client.get(meds_url(patient), **HX)
    assert "Furosemide" in listed.content.decode()
    assert "Add a medication" not in listed.content.decode()
    assert client.post(meds_url(patient), {"name": "X"}, **HX).status_code == 403
    assert client.post(f"/medications/{furosemide.pk}/stop/").status_code == 403
    assert AuditEvent.objects.filter(action="medication.list", actor=bob).count() == 1


def test_outsider_gets_404(client, olga, patient, furosemide):
    client.force_login(olga)

    assert client.get(meds_url(patient)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/medications/{furosemide.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"/medications/{furosemide.pk}/stop/").status_code == HTTPStatus.NOT_FOUND
    assert MedicationChange.objects.filter(action="stopped").count() == 0
