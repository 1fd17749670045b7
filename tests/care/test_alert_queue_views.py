"""The queue's views: new (not yet acknowledged), mine (held by me or escalated to me),
unclaimed, acknowledged, escalated, resolved — each with its count on its tab, critical first
then warning then information, and a query count that does not grow with the alerts."""

from http import HTTPStatus

import pytest

from readings.care import services
from readings.models import AlertOutcome
from tests.care.alert_cast import make_alert
from tests.factories import PatientFactory


def _ids(response):
    return [a.pk for a in response.context["page"].object_list]


@pytest.fixture
def queue(org, patient, alice, petra):
    """One alert in each state, named by what was done to it."""
    a = {
        "new": make_alert(patient, "critical", hours=5),
        "claimed_by_me": make_alert(patient, "warning", hours=4),
        "acknowledged": make_alert(patient, "warning", hours=3),
        "escalated": make_alert(patient, "critical", hours=2),
        "resolved": make_alert(patient, "information", hours=1),
    }
    services.alert_claim(alert=a["claimed_by_me"], by=petra)
    services.alert_acknowledge(alert=a["acknowledged"], by=alice, note="seen")
    services.alert_escalate(alert=a["escalated"], by=alice, to=petra, note="BP 200")
    services.alert_resolve(alert=a["resolved"], by=alice, outcome=AlertOutcome.NO_ACTION)
    return a


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("new", ["new", "claimed_by_me"]),
        ("mine", ["escalated", "claimed_by_me"]),  # critical first
        ("unclaimed", ["new"]),
        ("acknowledged", ["acknowledged"]),
        ("escalated", ["escalated"]),
        ("open", ["new", "escalated", "claimed_by_me", "acknowledged"]),
        ("resolved", ["resolved"]),
    ],
)
def test_each_view_lists_its_alerts(client, petra, queue, view, expected):
    client.force_login(petra)  # petra holds one and was escalated another
    response = client.get(f"/alerts/?view={view}")
    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == [queue[name].pk for name in expected]


def test_acknowledged_alerts_are_not_mixed_into_new_ones(nurse_client, queue):
    new = _ids(nurse_client.get("/alerts/"))
    assert queue["acknowledged"].pk not in new
    assert queue["escalated"].pk not in new


def test_tabs_show_counts(client, petra, queue):
    client.force_login(petra)
    tabs = client.get("/alerts/").context["tabs"]
    assert tabs == [
        ("new", "New", 2),
        ("mine", "Mine", 2),
        ("unclaimed", "Unclaimed", 1),
        ("acknowledged", "Acknowledged", 1),
        ("escalated", "Escalated", 1),
        ("open", "All open", 4),
        ("resolved", "Resolved", 1),
    ]


def test_information_sorts_after_warning(nurse_client, patient):
    info = make_alert(patient, "information", hours=9)
    warning = make_alert(patient, "warning", hours=1)
    critical = make_alert(patient, "critical", hours=2)
    assert _ids(nurse_client.get("/alerts/")) == [critical.pk, warning.pk, info.pk]


def test_old_status_links_still_work(nurse_client, queue):
    assert _ids(nurse_client.get("/alerts/?status=acknowledged")) == [queue["acknowledged"].pk]


def test_htmx_tab_switch_renders_the_results_only(nurse_client, queue):
    response = nurse_client.get(
        "/alerts/?view=resolved",
        headers={"HX-Request": "true", "HX-Target": "alert-results"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="alert-results"')
    assert "<html" not in body


@pytest.mark.parametrize("view", ["new", "mine", "unclaimed", "resolved"])
@pytest.mark.parametrize("count", [3, 30])
def test_query_count_is_constant(
    nurse_client, org, alice, petra, view, count, django_assert_max_num_queries
):
    for i in range(count):
        a = make_alert(PatientFactory(organization=org), ["warning", "critical"][i % 2], hours=i)
        if view != "unclaimed":  # holders and escalations are joined, not fetched per row
            services.alert_claim(alert=a, by=alice)
        if view == "resolved":
            services.alert_resolve(alert=a, by=alice, outcome="no_action", note="ok")
        elif view == "mine" and i % 3 == 0:
            services.alert_escalate(alert=a, by=alice, to=petra, note="see")
    with django_assert_max_num_queries(12):
        response = nurse_client.get(f"/alerts/?view={view}")
    assert len(response.context["page"].object_list) == min(count, 25)
