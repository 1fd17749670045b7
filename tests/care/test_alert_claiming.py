"""Claiming an alert: one holder at a time, seen by everyone (queue row, alert page, patient
panel); a colleague's claim is refused naming the holder unless taken over explicitly;
assignment to a clinical colleague of the same organization (announced after commit);
release by the holder or an admin. Every change is in the alert's history and audited."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from portal.models import AuditEvent, Role
from readings.care import services
from readings.care.signals import alert_handed
from readings.models import AlertStatus
from tests.care.alert_cast import make_alert
from tests.factories import staff


@pytest.fixture
def alert(patient):
    return make_alert(patient, "critical", text="Systolic BP at or above 180 mmHg")


@pytest.fixture
def nina(org):
    """A second nurse of `org`."""
    return staff(org, Role.NURSE, username="nina", first_name="Nina", last_name="Novak")


@pytest.fixture
def handed():
    got = []

    def receiver(sender, **kwargs):
        got.append(kwargs)

    alert_handed.connect(receiver)
    yield got
    alert_handed.disconnect(receiver)


def test_nurse_claims_an_alert(nurse_client, alert, alice):
    response = nurse_client.post(f"/alerts/{alert.pk}/claim/", follow=True)
    alert.refresh_from_db()
    assert (alert.claimed_by, alert.claimed_at is not None) == (alice, True)
    assert alert.status == AlertStatus.OPEN  # claiming is not acknowledging
    event = alert.events.get()
    assert (event.action, event.actor) == ("claimed", alice)
    assert AuditEvent.objects.filter(action="alert.claimed", object_id=str(alert.pk)).exists()
    assert "You hold this alert now." in response.content.decode()


def test_claim_held_by_a_colleague_is_refused_naming_them(client, alert, alice, nina):
    services.alert_claim(alert=alert, by=alice)
    client.force_login(nina)
    response = client.post(f"/alerts/{alert.pk}/claim/", follow=True)
    assert "Alice Staff holds this alert." in response.content.decode()
    alert.refresh_from_db()
    assert alert.claimed_by == alice
    assert list(alert.events.values_list("action", flat=True)) == ["claimed"]


def test_taking_over_is_explicit_and_recorded(client, alert, alice, nina):
    services.alert_claim(alert=alert, by=alice)
    client.force_login(nina)
    client.post(f"/alerts/{alert.pk}/claim/", {"take_over": "on", "note": "Alice is off"})
    alert.refresh_from_db()
    assert alert.claimed_by == nina
    assert alert.events.last().note == "Taken over from Alice Staff. Alice is off"


def test_a_colleagues_hold_blocks_acknowledge_and_resolve_but_not_notes(client, alert, alice, nina):
    services.alert_claim(alert=alert, by=alice)
    client.force_login(nina)
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Take over from Alice Staff" in page
    assert f'formaction="/alerts/{alert.pk}/acknowledge/"' not in page
    response = client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "x"}, follow=True)
    assert "Alice Staff holds this alert." in response.content.decode()
    client.post(f"/alerts/{alert.pk}/note/", {"note": "Patient called back"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert list(alert.events.values_list("action", flat=True)) == ["claimed", "note"]


def test_acknowledging_an_unclaimed_alert_claims_it(nurse_client, alert, alice):
    nurse_client.post(f"/alerts/{alert.pk}/acknowledge/", {"note": "On it"})
    alert.refresh_from_db()
    assert (alert.status, alert.claimed_by) == (AlertStatus.ACKNOWLEDGED, alice)
    assert list(alert.events.values_list("action", flat=True)) == ["claimed", "acknowledged"]


def test_everyone_sees_who_holds_it(client, alert, alice, nina, patient):
    services.alert_claim(alert=alert, by=alice)
    client.force_login(nina)
    row = client.get("/alerts/").content.decode()
    assert "Alice Staff" in row
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Held by <strong>Alice Staff</strong>" in page
    panel = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "held by Alice Staff" in panel


def test_claim_from_a_queue_row_answers_with_the_row(client, alert, alice, nina):
    services.alert_claim(alert=alert, by=alice)
    client.force_login(nina)
    response = client.post(f"/alerts/{alert.pk}/claim/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert body.lstrip().startswith(f'<tr id="alert-row-{alert.pk}">')
    assert "Alice Staff holds this alert." in body


def test_assign_to_a_colleague_announces_it_after_commit(
    nurse_client, alert, alice, nina, handed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        nurse_client.post(f"/alerts/{alert.pk}/assign/", {"to": nina.pk})
    alert.refresh_from_db()
    assert alert.claimed_by == nina
    event = alert.events.exclude(action="notified").get()  # (nina is also notified)
    assert (event.action, event.actor, event.note) == ("assigned", alice, "To Nina Novak.")
    assert handed == [
        {
            "signal": alert_handed,
            "alert_id": alert.pk,
            "to_user_id": nina.pk,
            "by_user_id": alice.pk,
            "reason": "assigned",
            "note": "",
        }
    ]


@pytest.mark.parametrize("who", ["bob", "olga"])
def test_assign_refuses_a_coordinator_or_an_outsider(nurse_client, alert, who, request, handed):
    target = request.getfixturevalue(who)
    with pytest.raises(ValidationError) as info:  # the form offers neither; the service too
        services.alert_assign(alert=alert, by=request.getfixturevalue("alice"), to=target)
    assert "to" in info.value.message_dict
    response = nurse_client.post(f"/alerts/{alert.pk}/assign/", {"to": target.pk})
    assert "Select a valid choice" in response.content.decode()
    alert.refresh_from_db()
    assert alert.claimed_by is None
    assert handed == []


def test_physician_may_be_assigned(nurse_client, alert, petra):
    nurse_client.post(f"/alerts/{alert.pk}/assign/", {"to": petra.pk})
    alert.refresh_from_db()
    assert alert.claimed_by == petra


def test_release_by_holder_and_by_admin_only(client, alert, alice, nina, ada):
    services.alert_claim(alert=alert, by=alice)
    client.force_login(nina)
    response = client.post(f"/alerts/{alert.pk}/release/", follow=True)
    assert "Alice Staff holds this alert." in response.content.decode()
    alert.refresh_from_db()
    assert alert.claimed_by == alice
    client.force_login(ada)
    client.post(f"/alerts/{alert.pk}/release/")
    alert.refresh_from_db()
    assert (alert.claimed_by, alert.claimed_at) == (None, None)
    assert alert.events.last().note == "Released from Alice Staff."


def test_coordinator_cannot_claim(client, bob, alert):
    client.force_login(bob)
    assert client.post(f"/alerts/{alert.pk}/claim/").status_code == HTTPStatus.FORBIDDEN
    alert.refresh_from_db()
    assert alert.claimed_by is None


def test_outsider_gets_404(client, olga, alert):
    client.force_login(olga)
    for action in ("claim", "release", "assign"):
        response = client.post(f"/alerts/{alert.pk}/{action}/", {"to": olga.pk})
        assert response.status_code == HTTPStatus.NOT_FOUND
    alert.refresh_from_db()
    assert alert.claimed_by is None
