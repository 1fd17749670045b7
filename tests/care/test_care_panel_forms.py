"""The care panel's forms on the patient page (log time, start and stop the timer) answer htmx
with the panel again: the errors beside the field that failed, what the nurse typed kept, and
a timer conflict names the other patient (of the same organization only) with a link. Without
scripts they still go back to the patient page with a message."""

import re
from http import HTTPStatus

from django.utils import timezone

from readings.care import services
from readings.care.models import CareTimer, TimeEntry
from tests.factories import PatientFactory

HTMX = {"HX-Request": "true", "HX-Target": "care"}


def _form(patient, **data):
    return {
        "day": services.patient_today(patient).isoformat(),
        "minutes": "10",
        "activity": "call",
        "contact_medium": "phone",
        "contact_with": "patient",
        "note": "Talked about the new cuff",
        **data,
    }


def test_bad_time_entry_shows_the_error_beside_the_field_and_keeps_the_input(nurse_client, patient):
    response = nurse_client.post(
        f"/patients/{patient.pk}/time/", _form(patient, minutes="ten"), headers=HTMX
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert '<section class="card care-panel" id="care"' in html
    assert "<html" not in html
    # The error follows the minutes' inputs, inside the form's duration row.
    duration = re.search(r'care-entry-form__duration">(.*?)</div>', html, re.S).group(1)
    assert 'class="field-error"' in duration
    assert "Talked about the new cuff" in html  # the note typed is still there
    assert 'value="ten"' in html
    assert "Time not logged" in html
    assert not TimeEntry.objects.exists()


def test_refused_day_is_shown_beside_the_date(nurse_client, patient):
    response = nurse_client.post(
        f"/patients/{patient.pk}/time/", _form(patient, day="2999-01-01"), headers=HTMX
    )
    html = response.content.decode()
    day = re.search(r'<label for="time-day">Date</label>(.*?)</div>', html, re.S).group(1)
    assert "cannot be in the future" in day
    assert 'value="2999-01-01"' in day


def test_logged_time_says_so_beside_the_form(nurse_client, patient):
    response = nurse_client.post(f"/patients/{patient.pk}/time/", _form(patient), headers=HTMX)
    assert response.status_code == HTTPStatus.OK
    assert "Logged 10 min" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_timer_conflict_names_the_other_patient_with_a_link(nurse_client, org, patient, alice):
    other = PatientFactory(organization=org, first_name="Ines", last_name="Ortega")
    services.care_timer_start(user=alice, patient=other)
    response = nurse_client.post(f"/patients/{patient.pk}/timer/start/", headers=HTMX)
    html = response.content.decode()
    assert f'<a href="/patients/{other.pk}/#care">{other.display_name}</a>' in html
    assert f"patient {other.pk}" not in html
    page = nurse_client.post(f"/patients/{patient.pk}/timer/start/", follow=True)
    assert f'<a href="/patients/{other.pk}/#care">{other.display_name}</a>' in (
        page.content.decode()
    )


def test_timer_conflict_does_not_name_another_organizations_patient(
    nurse_client, other_org, patient, alice
):
    stranger = PatientFactory(organization=other_org, first_name="Zed", last_name="Stranger")
    CareTimer.objects.create(user=alice, patient=stranger, started_at=timezone.now())
    html = nurse_client.post(f"/patients/{patient.pk}/timer/start/", headers=HTMX)
    html = html.content.decode()
    assert "Your timer is running for another patient" in html
    assert "Stranger" not in html
    assert f"/patients/{stranger.pk}/" not in html


def test_timer_started_from_the_panel(nurse_client, patient):
    response = nurse_client.post(f"/patients/{patient.pk}/timer/start/", headers=HTMX)
    assert "Timer started" in response.content.decode()
    assert "care-timer__clock" in response.content.decode()
