"""Reports page (order, watch, download; CSV dump), virtual-nursing requests page, and the
context-aware link service."""

import io
import zipfile
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from appointments.crypto import solo_decrypt_json
from appointments.models import AssistanceRequest, ReportJob
from appointments.services.common import VisitRefused
from appointments.services.reports import context_link_build
from portal.models import AuditEvent, Role
from portal.sandbox.solo_common import LINKING_SECRET
from portal.sandbox.state import STORE
from tests import factories

_30 = timedelta(days=30)


def _today():
    from portal.sandbox.solo_common import PRACTICE_TZ

    return datetime.now(PRACTICE_TZ).date()


pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


@pytest.fixture
def coordinator(client, bob, solo_account):
    client.force_login(bob)
    return client


@pytest.fixture
def nurse(client, alice, solo_account):
    client.force_login(alice)
    return client


def test_encounter_report_is_ordered_watched_and_downloaded(coordinator):
    url = reverse("appointments:reports")
    response = coordinator.post(
        url,
        {
            "kind": "encounter",
            "enc-start": "2026-01-01",
            "enc-end": "2026-12-31",
            "enc-preset_id": "a2c6e3fc-c2f7-4a24-a0d6-eb2343a15469",
            "enc-password": "IK5adv2N5V-gr9v6",
        },
        follow=True,
    )
    assert b"Encounter report ordered." in response.content
    job = ReportJob.objects.get()
    assert b"Preparing" in response.content
    assert b'hx-trigger="every 2s"' in response.content
    row = reverse("appointments:report_job", args=[job.pk])
    assert b"Preparing" in coordinator.get(row).content  # Solo: still pending
    ready = coordinator.get(row)  # Solo: completed, downloaded
    assert b"Download zip" in ready.content
    assert b"every 2s" not in ready.content
    download = coordinator.get(reverse("appointments:report_download", args=[job.pk]))
    assert download["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.content)).namelist() == ["encounter-report.csv"]
    assert "IK5adv2N5V" not in str(list(ReportJob.objects.values()))


def test_report_form_errors_are_shown_and_nothing_is_ordered(coordinator):
    response = coordinator.post(
        reverse("appointments:reports"),
        {"kind": "encounter", "enc-start": "2026-02-01", "enc-end": "2026-01-01",
         "enc-preset_id": "p", "enc-password": "short"},
    )  # fmt: skip
    assert b"The end date must not be before the start date." in response.content
    assert b"Ensure this value has at least 8 characters" in response.content
    assert not ReportJob.objects.exists()
    assert not STORE.all("solo", "reports")


def test_csv_dump_downloads_the_range(coordinator):
    response = coordinator.post(
        reverse("appointments:reports"),
        {"kind": "csv", "csv-start": str(_today()), "csv-end": str(_today() + _30)},
    )
    assert response["Content-Type"] == "text/csv"
    assert response.content.startswith(b"appointmentId,date,patientId")
    assert response.content.count(b"\n") == 13  # header + the 12 seeded visits
    too_long = coordinator.post(
        reverse("appointments:reports"),
        {"kind": "csv", "csv-start": "2000-01-01", "csv-end": "2100-01-01"},
    )
    assert b"Ask for at most one year at a time." in too_long.content
    assert AuditEvent.objects.filter(action="appointment.report.csv").count() == 1


def test_another_organizations_report_is_404(client, other_org, coordinator, org):
    job = ReportJob.objects.create(
        organization=org, solo_id="x", starts_on="2026-01-01", ends_on="2026-01-02", preset_id="p"
    )
    outsider = factories.staff(other_org, Role.COORDINATOR, username="oscar")
    client.force_login(outsider)
    assert client.get(reverse("appointments:report_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("appointments:report_download", args=[job.pk])).status_code == 404


def test_assistance_is_requested_and_cancelled(nurse):
    url = reverse("appointments:assistance")
    response = nurse.post(
        url,
        {"by": "bed", "building": "hospital", "floor": "floor 2", "room": "431", "bed": "bed 2"},
        follow=True,
    )
    assert b"Assistance requested." in response.content
    item = AssistanceRequest.objects.get()
    assert item.device == "123457"
    assert STORE.get("solo", "assistance", "123457")["id"] == item.solo_id
    nurse.post(reverse("appointments:assistance_cancel", args=[item.pk]), follow=True)
    item.refresh_from_db()
    assert item.status == AssistanceRequest.Status.CANCELLED
    assert STORE.get("solo", "assistance", "123457") is None


def test_assistance_shows_solos_error_message(nurse):
    url = reverse("appointments:assistance")
    response = nurse.post(url, {"by": "device", "device_serial": "000000"}, follow=True)
    assert b"Solo refused the request: Device could not be found from the data submitted" in (
        response.content
    )
    missing = nurse.post(url, {"by": "department", "room": "431"}, follow=True)
    assert b"Required for this way of finding the bed." in missing.content
    assert not AssistanceRequest.objects.exists()


@pytest.mark.live_sandbox  # a browser follows the link over HTTP
def test_context_link_decrypts_to_the_visit_and_user(book, alice, solo_account):
    from urllib.parse import parse_qs, urlsplit

    visit = book()
    url = context_link_build(appointment=visit, user=alice)
    arg = parse_qs(urlsplit(url).query)["arg"][0]
    data = solo_decrypt_json(LINKING_SECRET, arg)
    assert data["visit"] == str(visit.solo_id)
    assert data["user"] == str(alice.pk)
    assert data["type"] == "provider"
    assert data["patient"]["id"] == visit.patient.solo_id
    import requests

    followed = requests.get(url, allow_redirects=False, timeout=5)
    assert followed.status_code == HTTPStatus.FOUND
    assert followed.headers["Location"].endswith(f"/videocalls/{visit.solo_id}?role=provider")


def test_context_link_needs_the_linking_secret(book, alice, solo_account):
    visit = book()
    solo_account.secrets = {k: v for k, v in solo_account.secrets.items() if k != "linking_secret"}
    solo_account.save()
    with pytest.raises(VisitRefused, match="not configured"):
        context_link_build(appointment=visit, user=alice)


@pytest.mark.live_sandbox  # a browser follows the link over HTTP
def test_open_in_solo_redirects_through_the_linking_url(client, alice, book, solo_account):
    import requests

    visit = book()
    client.force_login(alice)
    response = client.get(reverse("appointments:context_link", args=[visit.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert "/integrations/linking?arg=" in response["Location"]
    landed = requests.get(response["Location"], timeout=5)
    assert "Joined as provider" in landed.text
    assert AuditEvent.objects.filter(action="appointment.context_link").count() == 1
