"""Escalation goes to a named physician/QHP of the organization with a reason: escalated_to is
set, the history says to whom and why, the physician is told (alert_handed, after commit) and
finds it in their "mine" view, and may resolve it beside the nurse who holds it."""

import pytest
from django.core.exceptions import ValidationError

from portal.models import Role
from readings.care import services
from readings.care.signals import alert_handed
from readings.models import AlertStatus
from tests.care.alert_cast import make_alert
from tests.factories import staff


@pytest.fixture
def alert(patient):
    return make_alert(patient, "critical")


@pytest.fixture
def handed():
    got = []

    def receiver(sender, **kwargs):
        got.append(kwargs)

    alert_handed.connect(receiver)
    yield got
    alert_handed.disconnect(receiver)


def test_escalation_names_the_physician_and_is_announced(
    nurse_client, alert, alice, petra, handed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = nurse_client.post(
            f"/alerts/{alert.pk}/escalate/",
            {"to": petra.pk, "note": "190/110 twice, headache"},
            follow=True,
        )
    assert "Alert escalated to Petra Staff." in response.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.escalated_to, alert.claimed_by) == (
        AlertStatus.ESCALATED,
        petra,
        alice,  # the nurse keeps the follow-up; the physician is consulted
    )
    event = alert.events.exclude(action="notified").last()
    from readings.care.models import Notification

    assert Notification.objects.filter(alert=alert, recipient=petra).exists()  # told at once
    assert (event.action, event.actor, event.note) == (
        "escalated",
        alice,
        "To Petra Staff: 190/110 twice, headache",
    )
    assert [(h["to_user_id"], h["by_user_id"], h["reason"], h["note"]) for h in handed] == [
        (petra.pk, alice.pk, "escalated", "190/110 twice, headache")
    ]


def test_nothing_is_announced_when_the_escalation_rolls_back(alert, alice, petra, handed):
    # No on_commit execution here: the test's transaction never commits.
    services.alert_escalate(alert=alert, by=alice, to=petra, note="why")
    assert handed == []


def test_physician_sees_it_in_mine_and_resolves_it(client, alert, alice, petra):
    services.alert_escalate(alert=alert, by=alice, to=petra, note="Please review")
    client.force_login(petra)
    assert [a.pk for a in client.get("/alerts/?view=mine").context["page"].object_list] == [
        alert.pk
    ]
    page = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "escalated to <strong>you</strong>" in page
    client.post(
        f"/alerts/{alert.pk}/resolve/", {"outcome": "medication", "note": "Raised lisinopril"}
    )
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by, alert.outcome) == (
        AlertStatus.RESOLVED,
        petra,
        "medication",
    )


@pytest.mark.parametrize("who", ["alice", "ada", "olga"])
def test_only_a_physician_of_the_organization_can_be_chosen(
    nurse_client, alert, who, request, handed
):
    target = request.getfixturevalue(who)
    by = request.getfixturevalue("alice") if who != "alice" else staff(alert.organization)
    with pytest.raises(ValidationError) as info:
        services.alert_escalate(alert=alert, by=by, to=target, note="why")
    assert list(info.value.message_dict) == ["to"]
    response = nurse_client.post(f"/alerts/{alert.pk}/escalate/", {"to": target.pk, "note": "x"})
    assert "Select a valid choice" in response.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.escalated_to) == (AlertStatus.OPEN, None)


def test_a_physician_cannot_escalate_to_themselves(alert, petra):
    with pytest.raises(ValidationError) as info:
        services.alert_escalate(alert=alert, by=petra, to=petra, note="why")
    assert list(info.value.message_dict) == ["to"]


def test_the_protocol_escalates_without_a_person_and_past_the_holder(alert, alice, org, handed):
    """by=None is the organization's protocol (issue 17's escalation timer): it may name the
    next clinician on its path, and a nurse's hold does not stop it."""
    nina = staff(org, Role.NURSE, username="nina")
    services.alert_claim(alert=alert, by=alice)
    services.alert_escalate(alert=alert, to=nina, note="Unacknowledged for 15 min")
    alert.refresh_from_db()
    assert (alert.escalated_to, alert.claimed_by) == (nina, alice)
    assert alert.events.last().actor is None


def test_escalate_form_offers_the_physicians(nurse_client, alert, petra):
    form = nurse_client.get(f"/alerts/{alert.pk}/").context["escalate_form"]
    assert [label for _, label in form.fields["to"].choices] == [
        "— choose a physician —",
        "Petra Staff (Physician / QHP)",
    ]
