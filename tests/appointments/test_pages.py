"""Staff pages: the list, the schedule flow, the visit page and its actions. Outsiders get
404, anonymous users the login page; each page view is audited once."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments.models import Appointment, AppointmentStatus
from portal.models import AuditEvent, Role
from portal.sandbox.state import STORE
from tests import factories
from tests.appointments.conftest import future_slot

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


@pytest.fixture
def coordinator_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def olga_client(client, olga):
    client.force_login(olga)
    return client


def test_list_shows_the_weeks_visits_in_patient_local_time(coordinator_client, book, solo_patient):
    visit = book()
    day = visit.starts_at.astimezone(solo_patient.tz).date()
    response = coordinator_client.get(
        reverse("appointments:list"), {"range": "week", "day": day.isoformat()}
    )
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Quimby, Harriet" in html
    assert "10:00 AM" in html
    assert "Cardiology Follow-up" in html
    assert AuditEvent.objects.filter(action="appointment.list").count() == 1


def test_list_filters_by_waiting_room_and_status(coordinator_client, book, rooms, bob):
    from appointments.services.booking import appointment_cancel

    kept = book()
    cancelled = book(hour=11, room="RPM Check-in")
    appointment_cancel(appointment=cancelled, reason="Patient asked", by=bob)
    day = kept.starts_at.astimezone(kept.patient.tz).date().isoformat()
    url = reverse("appointments:list")
    by_room = coordinator_client.get(url, {"day": day, "waiting_room": rooms["RPM Check-in"].pk})
    assert by_room.context["count"] == 1
    only_open = coordinator_client.get(url, {"day": day, "status": "open"})
    assert [v.pk for _, vs in only_open.context["days"] for v in vs] == [kept.pk]
    fragment = coordinator_client.get(
        url, {"day": day}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="appointment-results"
    )
    assert b"<html" not in fragment.content
    assert fragment.context["count"] == 2


def test_list_query_count_does_not_grow_with_rows(
    coordinator_client, org, rooms, django_assert_max_num_queries
):
    day = future_slot(13).date()

    def add(n):
        for i in range(n):
            patient = factories.PatientFactory(organization=org)
            Appointment.objects.create(
                organization=org,
                patient=patient,
                waiting_room=rooms["Nurse Triage"],
                solo_id=90000 + Appointment.objects.count(),
                starts_at=future_slot(13, 9 + i % 8),
            )

    add(2)
    with django_assert_max_num_queries(12):
        coordinator_client.get(reverse("appointments:list"), {"day": day.isoformat()})
    add(20)
    with django_assert_max_num_queries(12):
        response = coordinator_client.get(reverse("appointments:list"), {"day": day.isoformat()})
    assert response.context["count"] == 22


def test_list_never_shows_another_organizations_visits(olga_client, book):
    book()
    response = olga_client.get(reverse("appointments:list"), {"range": "week"})
    assert b"Quimby" not in response.content


def test_pages_need_sign_in(client, book):
    visit = book()
    for url in (
        reverse("appointments:list"),
        reverse("appointments:detail", args=[visit.pk]),
        reverse("appointments:schedule", args=[visit.patient.pk]),
        reverse("appointments:provider_link", args=[visit.pk]),
        reverse("appointments:reports"),
        reverse("appointments:assistance"),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert "/accounts/login/" in response["Location"]


def test_another_organizations_nurse_gets_404_everywhere(olga_client, book):
    visit = book()
    attachment_url = reverse("appointments:attachment_delete", args=[visit.pk, 1])
    for method, url in (
        ("get", reverse("appointments:detail", args=[visit.pk])),
        ("get", reverse("appointments:schedule", args=[visit.patient.pk])),
        ("post", reverse("appointments:schedule", args=[visit.patient.pk])),
        ("get", reverse("appointments:provider_link", args=[visit.pk])),
        ("get", reverse("appointments:context_link", args=[visit.pk])),
        ("get", reverse("appointments:reschedule", args=[visit.pk])),
        ("post", reverse("appointments:reschedule", args=[visit.pk])),
        ("post", reverse("appointments:cancel", args=[visit.pk])),
        ("get", reverse("appointments:note", args=[visit.pk])),
        ("post", reverse("appointments:note", args=[visit.pk])),
        ("post", reverse("appointments:attachment_upload", args=[visit.pk])),
        ("post", attachment_url),
        ("post", reverse("appointments:episode_assign", args=[visit.pk])),
        ("post", reverse("appointments:episode_create", args=[visit.patient.pk])),
    ):
        response = getattr(olga_client, method)(url)
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, url)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED


def test_schedule_flow_shows_free_slots_then_books_and_confirms(
    coordinator_client, rooms, solo_patient
):
    day = future_slot(13).astimezone(solo_patient.tz).date()
    url = reverse("appointments:schedule", args=[solo_patient.pk])
    page = coordinator_client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert b"Cardiology Follow-up" in page.content
    slots = coordinator_client.get(
        url,
        {"waiting_room": rooms["Nurse Triage"].pk, "day": day.isoformat()},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="slots",
    )
    assert b"<html" not in slots.content
    assert b"9:00 AM" in slots.content
    assert slots.content.count(b'name="slot"') == 48  # 9:00-17:00 in 10-minute slots
    chosen = coordinator_client.get(
        url, {"waiting_room": rooms["Nurse Triage"].pk, "day": day.isoformat()}
    ).context["slots"][3]
    booked = coordinator_client.post(
        url,
        {"waiting_room": rooms["Nurse Triage"].pk, "slot": int(chosen.timestamp()), "reason": "BP"},
        follow=True,
    )
    visit = Appointment.objects.get()
    assert booked.redirect_chain[-1][0] == reverse("appointments:detail", args=[visit.pk])
    assert b"Visit booked for" in booked.content
    assert f"Solo visit #{visit.solo_id}".encode() in booked.content
    assert visit.starts_at == chosen
    assert visit.reasons == ["BP"]
    assert AuditEvent.objects.filter(action="appointment.schedule.view").count() == 3  # 3 GETs


def test_schedule_shows_solos_refusal_and_outage_as_messages(
    coordinator_client, rooms, solo_patient, book, faults
):
    taken = book(patient=solo_patient)
    url = reverse("appointments:schedule", args=[solo_patient.pk])
    response = coordinator_client.post(
        url,
        {"waiting_room": taken.waiting_room.pk, "slot": int(taken.starts_at.timestamp())},
        follow=True,
    )
    assert b"The visit was not booked. Solo refused the request: The requested time" in (
        response.content
    )
    faults.inject("solo", "error", count=10, path_contains="appointment-slots")
    day = future_slot(13).date().isoformat()
    slots = coordinator_client.get(url, {"waiting_room": taken.waiting_room.pk, "day": day})
    assert b"Solo did not answer" in slots.content
    assert Appointment.objects.count() == 1


def test_schedule_refuses_a_missing_slot_and_a_past_day(coordinator_client, rooms, solo_patient):
    url = reverse("appointments:schedule", args=[solo_patient.pk])
    response = coordinator_client.post(url, {"waiting_room": rooms["Nurse Triage"].pk}, follow=True)
    assert b"Pick a free time first." in response.content
    past = coordinator_client.get(
        url, {"waiting_room": rooms["Nurse Triage"].pk, "day": "2020-01-01"}
    )
    assert b"That day has passed" in past.content
    assert not Appointment.objects.exists()


def test_detail_page_shows_the_visit_history_and_is_audited_once(
    coordinator_client, book, django_assert_max_num_queries
):
    visit = book()
    with django_assert_max_num_queries(14):
        response = coordinator_client.get(reverse("appointments:detail", args=[visit.pk]))
    html = response.content.decode()
    assert "Open provider video link" in html
    assert "Open in Teams" in html
    assert 'target="_blank"' in html
    assert "Booked in Cardiology Follow-up" in html
    assert AuditEvent.objects.filter(action="appointment.view", patient=visit.patient).count() == 1


def test_provider_link_redirects_to_a_fresh_solo_link(coordinator_client, book):
    visit = book()
    url = reverse("appointments:provider_link", args=[visit.pk])
    first = coordinator_client.get(url)
    second = coordinator_client.get(url)
    assert first.status_code == HTTPStatus.FOUND
    assert f"/sandbox/solo/videocalls/{visit.solo_id}?role=provider" in first["Location"]
    assert first["Location"] != second["Location"]
    teams = coordinator_client.get(url, {"teams": "1"})
    assert "meetingjoin=true" in teams["Location"]


def test_provider_link_outage_says_so_in_the_new_tab(coordinator_client, book, faults):
    visit = book()
    faults.inject("solo", "error", count=10, path_contains="provider-link")
    response = coordinator_client.get(reverse("appointments:provider_link", args=[visit.pk]))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert b"Solo did not answer" in response.content
    assert b"Try again" in response.content


def test_reschedule_from_the_visit_page(coordinator_client, book):
    visit = book()
    url = reverse("appointments:reschedule", args=[visit.pk])
    day = future_slot(14).astimezone(visit.patient.tz).date()
    slots = coordinator_client.get(url, {"day": day.isoformat()})
    assert len(slots.context["slots"]) == 32
    target = slots.context["slots"][5]
    response = coordinator_client.post(url, {"slot": int(target.timestamp())}, follow=True)
    assert b"Visit moved to" in response.content
    visit.refresh_from_db()
    assert visit.starts_at == target


def test_cancel_from_the_visit_page_needs_a_reason(coordinator_client, book):
    visit = book()
    url = reverse("appointments:cancel", args=[visit.pk])
    response = coordinator_client.post(url, {"reason": ""}, follow=True)
    assert b"Please give a reason for cancelling." in response.content
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.SCHEDULED
    response = coordinator_client.post(url, {"reason": "Patient is travelling"}, follow=True)
    assert b"Visit cancelled." in response.content
    assert STORE.get("solo", "appointments", visit.solo_id)["status"] == "cancelled"
    again = coordinator_client.post(url, {"reason": "again"}, follow=True)
    assert b"it can no longer be changed" in again.content


def test_visit_note_view_and_edit_by_a_nurse(client, alice, book):
    visit = book()
    client.force_login(alice)
    url = reverse("appointments:note", args=[visit.pk])
    shown = client.get(url)
    assert b"RPM Visit Note" in shown.content
    assert b"Edit note" in shown.content
    form = client.get(url, {"edit": "1"})
    qid = "6b1f3c52-4c1e-4d4b-9a61-1f0c1f1a0003"
    assert f'name="q-{qid}"'.encode() in form.content
    saved = client.post(
        url, {"template": "RPM Visit Note", f"q-{qid}": "Recheck BP in two weeks"}, follow=True
    )
    assert b"Visit note saved to Solo." in saved.content
    note = STORE.get("solo", "visit_notes", visit.solo_id)
    assert note["responses"][0]["response"] == ["Recheck BP in two weeks"]
    assert b"Recheck BP in two weeks" in client.get(url).content
    assert AuditEvent.objects.filter(action="appointment.visit_note.update").count() == 1


def test_a_coordinator_cannot_edit_visit_notes(coordinator_client, book):
    visit = book()
    url = reverse("appointments:note", args=[visit.pk])
    assert b"Edit note" not in coordinator_client.get(url).content
    response = coordinator_client.post(url, {"template": "RPM Visit Note", "q-x": "no"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert STORE.get("solo", "visit_notes", visit.solo_id) is None


def test_patient_page_panel_shows_visits_and_episodes_without_its_own_audit(
    client, alice, book, solo_patient
):
    from appointments.services.records import episode_create

    visit = book()
    episode_create(
        patient=solo_patient,
        name="Hypertension programme",
        kind="rpm",
        starts_on=future_slot(0).date(),
        by=alice,
    )
    client.force_login(alice)
    response = client.get(reverse("patients:detail", args=[solo_patient.pk]))
    html = response.content.decode()
    assert "Video visits" in html
    assert reverse("appointments:detail", args=[visit.pk]) in html
    assert "Hypertension programme" in html
    assert "Book a visit" in html
    assert AuditEvent.objects.filter(patient=solo_patient, action="patient.view").count() == 1
    assert not AuditEvent.objects.filter(action="appointment.view").exists()


def test_episode_created_from_the_patient_page_and_assigned_to_a_visit(client, alice, book):
    visit = book()
    client.force_login(alice)
    response = client.post(
        reverse("appointments:episode_create", args=[visit.patient.pk]),
        {"name": "Heart failure", "kind": "rpm", "starts_on": "2026-01-01", "status": "active"},
        follow=True,
    )
    assert "Episode “Heart failure” created in Solo.".encode() in response.content
    episode = visit.patient.episodes.get()
    assert STORE.get("solo", "episodes", episode.solo_id)["status"] == "active"
    bad = client.post(
        reverse("appointments:episode_create", args=[visit.patient.pk]),
        {"name": "X", "kind": "rpm", "starts_on": "2026-02-01", "ends_on": "2026-01-01",
         "status": "active"},
        follow=True,
    )  # fmt: skip
    assert b"The episode was not created." in bad.content
    client.post(reverse("appointments:episode_assign", args=[visit.pk]), {"episode": episode.pk})
    visit.refresh_from_db()
    assert visit.episode == episode
    assert STORE.get("solo", "appointments", visit.solo_id)["episodeOfCareId"] == episode.solo_id


def test_reports_are_refused_to_a_nurse_and_not_offered(client, org, alice, petra):
    for clinician in (alice, petra):
        client.force_login(clinician)
        assert client.get(reverse("appointments:reports")).status_code == HTTPStatus.FORBIDDEN
        assert b"Visit reports" not in client.get(reverse("appointments:list")).content


def test_a_coordinator_raises_and_sees_assistance_requests(client, org, bob, vendor_accounts):
    """Virtual nursing is logistics as much as care: the coordinator at the desk asks Solo's
    virtual nurse to help at a bedside (issue 18 defect 8: this was a 403)."""
    assert bob.membership.role == Role.COORDINATOR
    client.force_login(bob)
    assert b"Virtual nursing" in client.get(reverse("appointments:list")).content
    response = client.post(
        reverse("appointments:assistance"), {"by": "device", "device_serial": "123457"}
    )
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(reverse("appointments:assistance"))
    assert page.status_code == HTTPStatus.OK
    assert b"123457" in page.content
