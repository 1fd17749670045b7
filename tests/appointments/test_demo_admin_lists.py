"""Demo data agrees with the sandbox and is idempotent; admin pages are scoped; the reports
and assistance lists keep a constant query count."""

from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse

from appointments.models import Appointment, AssistanceRequest, ReportJob, WaitingRoom
from portal.models import Organization
from portal.sandbox.state import STORE


@pytest.mark.django_db
def test_demo_load_matches_the_sandbox_and_is_idempotent(sandbox):
    call_command("load_demo_data", patients=20, stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo_data", patients=20, stdout=open("/dev/null", "w"))  # noqa: SIM115
    org = Organization.objects.get(slug="riverside")
    assert WaitingRoom.objects.filter(organization=org).count() == 3
    visits = Appointment.objects.filter(organization=org)
    assert visits.count() == 12
    for visit in visits:
        in_solo = STORE.get("solo", "appointments", visit.solo_id)
        assert in_solo["patientId"] == visit.patient.solo_id
        assert in_solo["date"] == int(visit.starts_at.timestamp())
        assert in_solo["waitingRoom"] == visit.waiting_room.name
        assert visit.changes.count() == 1


@pytest.mark.django_db
def test_admin_lists_only_the_admins_organization(client, ada, org, other_org, olga):
    mine = WaitingRoom.objects.create(organization=org, solo_id="a", name="Ours")
    WaitingRoom.objects.create(organization=other_org, solo_id="b", name="Theirs")
    client.force_login(ada)
    response = client.get(reverse("admin:appointments_waitingroom_changelist"))
    assert response.status_code == HTTPStatus.OK
    assert b"Ours" in response.content
    assert b"Theirs" not in response.content
    for name in (
        "appointment", "episode", "visitnote", "attachment", "webhooksubscription",
        "webhookdelivery", "assistancerequest", "reportjob",
    ):  # fmt: skip
        page = client.get(reverse(f"admin:appointments_{name}_changelist"))
        assert page.status_code == HTTPStatus.OK, name
    assert mine.pk


@pytest.mark.django_db
def test_report_and_assistance_lists_keep_a_constant_query_count(
    client, ada, org, django_assert_max_num_queries
):
    client.force_login(ada)

    def add(n):
        for i in range(n):
            ReportJob.objects.create(
                organization=org, solo_id=f"r{i}{n}", starts_on="2026-01-01",
                ends_on="2026-01-02", preset_id="p", requested_by=ada,
            )  # fmt: skip
            AssistanceRequest.objects.create(
                organization=org, solo_id=f"a{i}{n}", location={"patientMrn": "1"}, created_by=ada
            )

    add(1)
    for url in (reverse("appointments:reports"), reverse("appointments:assistance")):
        with django_assert_max_num_queries(10):
            client.get(url)
    add(15)
    for url in (reverse("appointments:reports"), reverse("appointments:assistance")):
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == HTTPStatus.OK
