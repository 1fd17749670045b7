"""The time log on the patient page: manual entries, the start/stop timer, editing rights and
history, and the care panel."""

import datetime as dt
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from portal.models import AuditEvent, Role
from readings.care import services
from readings.care.models import CareTimer, TimeEntry
from tests import factories
from tests.factories import entry

pytestmark = pytest.mark.both_databases  # days, billing and idempotency: also on SQLite

NOW = dt.datetime.now(tz=dt.UTC)


def today(patient):
    return services.patient_today(patient).isoformat()


def test_nurse_logs_minutes_from_the_patient_page(nurse_client, patient, alice):
    response = nurse_client.post(
        f"/patients/{patient.pk}/time/",
        {
            "day": today(patient),
            "minutes": "12",
            "seconds": "30",
            "activity": "call",
            "contact_medium": "phone",
            "contact_with": "caregiver",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/patients/{patient.pk}/#care"
    e = TimeEntry.objects.get()
    assert (e.author, e.performed_by, e.seconds, e.activity) == (alice, alice, 750, "call")
    assert (e.contact_medium, e.contact_with, e.is_contact) == ("phone", "caregiver", True)
    assert (e.performer_role, e.counts_toward) == ("nurse", "management")
    assert e.revisions.get().action == "created"
    assert AuditEvent.objects.get(action="time_entry.create").detail == {
        "seconds": 750,
        "counts_toward": "management",
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"minutes": "0"}, "Under a minute: nothing logged"),
        ({"minutes": "1441"}, "Minutes"),
        ({"contact_medium": ""}, "Say how the call or visit happened"),
        ({"minutes": "ten"}, "Minutes"),
        ({"day": "2999-01-01"}, "cannot be in the future"),
        ({"day": "yesterday"}, "Date"),
        ({"activity": "napping"}, "Activity"),
    ],
)
def test_bad_entries_are_refused_with_a_message(nurse_client, patient, data, message):
    form = {
        "day": today(patient),
        "minutes": "10",
        "activity": "call",
        "contact_medium": "phone",
        "contact_with": "patient",
        **data,
    }
    response = nurse_client.post(f"/patients/{patient.pk}/time/", form, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_author_edits_and_the_history_keeps_the_old_values(nurse_client, patient, alice):
    e = entry(patient, alice, minutes=10)
    response = nurse_client.post(
        f"/time/{e.pk}/",
        {"day": e.day.isoformat(), "minutes": "15", "activity": "data_review", "note": "more"},
    )
    assert response.status_code == HTTPStatus.FOUND
    e.refresh_from_db()
    assert e.seconds == 900
    revision = e.revisions.last()
    assert (revision.action, revision.before["seconds"], revision.after["seconds"]) == (
        "edited",
        600,
        900,
    )
    page = nurse_client.get(f"/time/{e.pk}/").content.decode()
    assert "seconds: 600 → 900" in page


def test_only_author_or_admin_may_edit(client, patient, org, alice, ada):
    e = entry(patient, alice, minutes=10)
    colleague = factories.staff(org, Role.NURSE, username="carol")
    client.force_login(colleague)
    assert client.get(f"/time/{e.pk}/").status_code == HTTPStatus.FORBIDDEN
    assert client.post(f"/time/{e.pk}/", {"minutes": "99"}).status_code == HTTPStatus.FORBIDDEN
    with pytest.raises(PermissionDenied):
        services.time_entry_update(entry=e, by=colleague, seconds=99 * 60)
    updated = services.time_entry_update(entry=e, by=ada, seconds=11 * 60)
    assert updated.seconds == 660


def test_outsider_gets_404_on_our_entry_and_patient(client, olga, patient, alice):
    e = entry(patient, alice)
    client.force_login(olga)
    assert client.get(f"/time/{e.pk}/").status_code == HTTPStatus.NOT_FOUND
    response = client.post(f"/patients/{patient.pk}/time/", {"minutes": "10"})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_delete_keeps_the_row_for_the_billing_evidence(nurse_client, patient, alice):
    e = entry(patient, alice)
    nurse_client.post(f"/time/{e.pk}/", {"delete": "1"})
    e.refresh_from_db()
    assert e.deleted_at is not None
    assert [r.action for r in e.revisions.all()] == ["created", "deleted"]
    assert nurse_client.get(f"/time/{e.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_update_refuses_unknown_fields(patient, alice):
    e = entry(patient, alice)
    with pytest.raises(ValidationError):
        services.time_entry_update(entry=e, by=alice, patient_id=99)


# --- the timer ------------------------------------------------------------------------------
def test_timer_start_and_stop_logs_whole_seconds(patient, alice):
    services.care_timer_start(user=alice, patient=patient, now=NOW)
    e = services.care_timer_stop(
        user=alice,
        patient=patient,
        activity="call",
        contact_medium="video",
        contact_with="patient",
        now=NOW + dt.timedelta(minutes=11, seconds=40, milliseconds=900),
    )
    assert (e.seconds, e.is_contact, e.day) == (700, True, NOW.astimezone(patient.tz).date())
    assert not CareTimer.objects.exists()


def test_one_timer_per_nurse(patient, org, alice):
    other = factories.PatientFactory(organization=org)
    services.care_timer_start(user=alice, patient=patient)
    with pytest.raises(services.TimerError, match="running for another patient"):
        services.care_timer_start(user=alice, patient=other)


def test_forgotten_timer_is_discarded_not_logged(nurse_client, patient, alice):
    CareTimer.objects.create(user=alice, patient=patient, started_at=NOW - dt.timedelta(hours=11))
    response = nurse_client.post(f"/patients/{patient.pk}/timer/stop/", {}, follow=True)
    assert "more than 10 hours" in response.content.decode()
    assert not TimeEntry.objects.exists()
    assert not CareTimer.objects.exists()


def test_timer_buttons_on_the_patient_page(nurse_client, patient):
    page = nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Start timer" in page
    nurse_client.post(f"/patients/{patient.pk}/timer/start/")
    page = nurse_client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Stop and log" in page
    assert "data-started=" in page


def test_patient_page_shows_the_care_panel_without_a_second_audit_event(nurse_client, patient):
    nurse_client.get(f"/patients/{patient.pk}/")
    assert AuditEvent.objects.filter(patient=patient).count() == 1
