"""Two nurses claim the same alert at the same moment: exactly one wins, the other is refused
naming the winner. The first claim's transaction stays open until the second is seen waiting
on the alert's row lock, so the interleaving is the same on every run (without the lock the
second would read "unclaimed" and both would win)."""

import threading

import pytest
from django.db import connection, transaction

from portal.models import Role
from readings.care import services
from readings.models import Alert
from tests.care.alert_cast import make_alert
from tests.conftest import wait_for
from tests.factories import staff

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_two_concurrent_claims_exactly_one_wins(org, patient, alice):
    nina = staff(org, Role.NURSE, username="nina", first_name="Nina")
    alert = make_alert(patient, "critical")
    first_in, release = threading.Event(), threading.Event()
    outcomes = {}

    def claim(name, user, hold_open):
        try:
            with transaction.atomic():
                services.alert_claim(alert=Alert.objects.get(pk=alert.pk), by=user)
                if hold_open:
                    first_in.set()
                    release.wait(20)
            outcomes[name] = "won"
        except services.AlertHeldError as exc:
            outcomes[name] = str(exc)
        finally:
            first_in.set()
            connection.close()

    one = threading.Thread(target=claim, args=("alice", alice, True))
    one.start()
    assert first_in.wait(20)
    two = threading.Thread(target=claim, args=("nina", nina, False))
    two.start()
    try:
        wait_for(_waiting_on_a_lock, message="the second claim to wait on the alert's row")
    finally:
        release.set()
        one.join(20)
        two.join(20)
    assert outcomes == {
        "alice": "won",
        "nina": "Alice Staff holds this alert. Take it over to act on it.",
    }
    alert.refresh_from_db()
    assert alert.claimed_by == alice
    assert list(alert.events.values_list("action", "actor")) == [("claimed", alice.pk)]
