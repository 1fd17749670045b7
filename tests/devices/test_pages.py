"""Device pages: inventory, detail, dialogs' fragments, actions with messages, tenancy."""

from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages

from devices.models import DeviceStatus
from devices.services import device_assign
from portal.models import AuditEvent
from portal.sandbox import world as demo
from portal.sandbox.state import FaultMode
from tests.factories import DeviceFactory, PatientFactory

pytestmark = pytest.mark.django_db  # the sandbox answers in process (no live server)


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_inventory_lists_devices_and_audits_once(nurse_client, cuff):
    response = nurse_client.get("/devices/")
    assert response.status_code == HTTPStatus.OK
    assert b"BT105-S700" in response.content
    assert b"Available at site" in response.content
    assert AuditEvent.objects.filter(action="device.list").count() == 1


def test_inventory_filters_and_search(nurse_client, org, demo_sites, cuff):
    DeviceFactory(
        organization=org,
        identifier="BT005-X1",
        site=demo_sites[501],
        current_status=DeviceStatus.DEFECTIVE,
    )
    page = nurse_client.get("/devices/?status=defective").content.decode()
    assert "BT005-X1" in page
    assert "BT105-S700" not in page
    fragment = nurse_client.get(
        "/devices/?q=s700", headers={"HX-Request": "true", "HX-Target": "device-results"}
    )
    assert b"<html" not in fragment.content
    assert b"BT105-S700" in fragment.content
    assert b"BT005-X1" not in fragment.content
    bogus = nurse_client.get("/devices/?status=lost&site=abc")  # ignored, not a 500
    assert bogus.status_code == HTTPStatus.OK


def test_inventory_query_count_is_constant(
    nurse_client, org, demo_sites, harriet, django_assert_max_num_queries
):
    for _ in range(3):
        DeviceFactory(organization=org, site=demo_sites[501], assigned_patient=harriet)
    with django_assert_max_num_queries(14):
        nurse_client.get("/devices/")
    for _ in range(22):
        DeviceFactory(organization=org, site=demo_sites[502], assigned_patient=harriet)
    with django_assert_max_num_queries(14):
        assert nurse_client.get("/devices/").content.count(b"Quimby, Harriet") == 25


def test_detail_shows_history_and_audits_with_the_patient(nurse_client, cuff, harriet, alice):
    device_assign(device=cuff, patient=harriet, by=alice)
    page = nurse_client.get(f"/devices/{cuff.pk}/").content.decode()
    assert "Assignment history" in page
    assert "Quimby, Harriet" in page
    assert "Replace…" in page
    event = AuditEvent.objects.get(action="device.view")
    assert (event.patient, event.object_id) == (harriet, str(cuff.pk))


def test_assign_from_the_device_page(nurse_client, cuff, harriet):
    options = nurse_client.get(f"/devices/{cuff.pk}/patients/?q=Quimby").content.decode()
    assert f'value="{harriet.pk}"' in options
    response = nurse_client.post(f"/devices/{cuff.pk}/assign/", {"patient": harriet.pk})
    assert response.status_code == HTTPStatus.FOUND
    assert flash(response) == ["BT105-S700 is now assigned to Quimby, Harriet."]
    cuff.refresh_from_db()
    assert cuff.assigned_patient == harriet


def test_assign_dialog_on_patient_page_says_why_a_device_cannot_be_assigned(
    nurse_client, org, demo_sites, harriet, cuff
):
    DeviceFactory(
        organization=org, identifier="BT105-WH1", site=demo_sites[900], current_status="available"
    )
    fragment = nurse_client.get(f"/devices/patients/{harriet.pk}/options/").content.decode()
    assert "Cannot be assigned: The device must be at one of your clinics" in fragment
    assert f'value="{cuff.pk}" required>' in fragment  # the available one is selectable


def test_assign_refusal_is_a_message_and_changes_nothing(
    nurse_client, org, demo_sites, harriet, vendor_accounts
):
    broken = DeviceFactory(
        organization=org, site=demo_sites[501], current_status=DeviceStatus.DECOMMISSIONED
    )
    response = nurse_client.post(
        f"/devices/patients/{harriet.pk}/assign/", {"device": broken.pk}, follow=True
    )
    assert (
        "This device is decommissioned and can never be assigned again."
        in response.content.decode()
    )
    assert broken.assignments.count() == 0


def test_vendor_outage_during_assign_shows_a_clear_message(nurse_client, cuff, harriet, faults):
    faults.inject("impilo", FaultMode.ERROR, 1)
    response = nurse_client.post(
        f"/devices/{cuff.pk}/assign/", {"patient": harriet.pk}, follow=True
    )
    assert (
        "Impilo did not answer (it may be down or slow). Nothing was changed; please try again "
        "in a few minutes." in response.content.decode()
    )
    cuff.refresh_from_db()
    assert (cuff.assigned_patient, cuff.assignments.count()) == (None, 0)


def test_status_change_needs_a_note_to_decommission(nurse_client, cuff):
    response = nurse_client.post(
        f"/devices/{cuff.pk}/status/", {"status": "decommissioned", "note": ""}, follow=True
    )
    assert "Say why the device is decommissioned: a note is required." in response.content.decode()
    cuff.refresh_from_db()
    assert cuff.current_status == DeviceStatus.AVAILABLE_AT_SITE
    response = nurse_client.post(
        f"/devices/{cuff.pk}/status/", {"status": "decommissioned", "note": "Torn cuff"}
    )
    assert flash(response) == ["Status changed to “Decommissioned”."]


def test_smart_meter_connect_validates_the_imei(nurse_client, harriet, vendor_accounts):
    response = nurse_client.post(
        f"/devices/patients/{harriet.pk}/smart-meters/",
        {"imei": "12345378287322", "device_type": "blood_glucose"},
    )
    assert flash(response) == [
        "An IMEI is exactly 15 digits (it is printed under the barcode on the device)."
    ]
    nurse_client.get(f"/patients/{harriet.pk}/")  # shows (and consumes) the message
    imei = demo._imei(4242)
    response = nurse_client.post(
        f"/devices/patients/{harriet.pk}/smart-meters/",
        {"imei": imei, "device_type": "blood_glucose"},
    )
    assert flash(response) == [f"Smart Meter {imei} is connected."]
    page = nurse_client.get(f"/patients/{harriet.pk}/").content.decode()
    assert imei in page
    connection = harriet.smart_meter_connections.get()
    response = nurse_client.post(
        f"/devices/patients/{harriet.pk}/smart-meters/{connection.pk}/disconnect/"
    )
    assert flash(response) == [f"Smart Meter {imei} is disconnected."]


def test_patient_page_panel_writes_no_extra_audit_event(nurse_client, cuff, harriet):
    device_assign(device=cuff, patient=harriet)
    before = AuditEvent.objects.count()
    page = nurse_client.get(f"/patients/{harriet.pk}/").content.decode()
    assert "BT105-S700" in page
    assert AuditEvent.objects.count() == before + 1  # the patient page's own event


def test_admin_starts_a_sync_and_nurse_cannot(
    client, nurse_client, ada, org, vendor_accounts, demo_sites
):
    assert nurse_client.post("/devices/sync/").status_code == HTTPStatus.FORBIDDEN
    client.force_login(ada)
    response = client.post("/devices/sync/", follow=True)
    assert "Synced" in response.content.decode()


def test_a_sync_that_cannot_be_queued_says_so(client, ada, org, monkeypatch):
    """Redis (the broker) unreachable: no 500, a message, and the run is not left 'running'
    (nothing would ever pick it up)."""
    from kombu.exceptions import OperationalError

    from devices import tasks
    from portal.models import SyncRun

    def unreachable(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.devices_sync_run, "delay", unreachable)
    client.force_login(ada)
    response = client.post("/devices/sync/", follow=True)
    assert response.status_code == HTTPStatus.OK
    assert "The sync could not start (task queue unavailable)." in response.content.decode()
    run = SyncRun.objects.get(organization=org)
    assert run.status == SyncRun.Status.FAILED
    assert "task queue is unavailable" in run.errors[-1]


# --- tenancy and roles -----------------------------------------------------------------------
PAGES = [
    ("get", "/devices/{d}/"),
    ("get", "/devices/{d}/patients/"),
    ("post", "/devices/{d}/assign/"),
    ("post", "/devices/{d}/unassign/"),
    ("post", "/devices/{d}/replace/"),
    ("post", "/devices/{d}/status/"),
    ("get", "/devices/patients/{p}/options/"),
    ("post", "/devices/patients/{p}/assign/"),
    ("post", "/devices/patients/{p}/smart-meters/"),
    ("post", "/devices/patients/{p}/smart-meters/1/disconnect/"),
    ("post", "/devices/patients/{p}/smart-meters/disconnect-all/"),
]


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_outsider_gets_404(client, olga, org, method, url):
    device = DeviceFactory(organization=org)
    patient = PatientFactory(organization=org)
    client.force_login(olga)
    response = getattr(client, method)(url.format(d=device.pk, p=patient.pk))
    assert response.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("method", "url"), [*PAGES, ("get", "/devices/"), ("post", "/devices/sync/")]
)
def test_anonymous_is_sent_to_sign_in(client, method, url):
    response = getattr(client, method)(url.format(d=1, p=1))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


def test_a_coordinator_assigns_a_device(client, bob, cuff, harriet):
    """Device logistics are the coordinator's work (issue 18 defect 8: every action was a 403
    and the buttons were hidden)."""
    client.force_login(bob)
    page = client.get(f"/devices/{cuff.pk}/").content.decode()
    assert "Assign to patient…" in page
    options = client.get(f"/devices/{cuff.pk}/patients/?q=Quimby").content.decode()
    assert f'value="{harriet.pk}"' in options
    response = client.post(f"/devices/{cuff.pk}/assign/", {"patient": harriet.pk})
    assert flash(response) == ["BT105-S700 is now assigned to Quimby, Harriet."]
    cuff.refresh_from_db()
    assert cuff.assigned_patient == harriet
    patient_page = client.get(f"/patients/{harriet.pk}/").content.decode()
    assert "Replace or unassign" in patient_page


def test_outsider_inventory_is_empty(client, olga, cuff):
    client.force_login(olga)
    assert b"BT105-S700" not in client.get("/devices/").content


def test_assign_dialog_options_query_count_is_constant(
    nurse_client, org, demo_sites, harriet, django_assert_max_num_queries
):
    url = f"/devices/patients/{harriet.pk}/options/"
    DeviceFactory(organization=org, site=demo_sites[501])
    with django_assert_max_num_queries(9):
        nurse_client.get(url)
    for _ in range(14):
        DeviceFactory(organization=org, site=demo_sites[900], current_status="available")
    with django_assert_max_num_queries(9):
        assert nurse_client.get(url).content.count(b'type="radio"') == 15
