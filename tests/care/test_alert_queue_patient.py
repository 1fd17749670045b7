"""The alert queue narrowed to one patient (?patient=<id>), which the roster's alert chips link
to: only that patient's alerts, the filter shown with a way back to every patient, kept by the
tabs, the severity choice and the pager; another organization's patient is a 404."""

from html import unescape
from http import HTTPStatus

from tests.care.alert_cast import make_alert
from tests.factories import PatientFactory


def _ids(response):
    return [a.pk for a in response.context["page"].object_list]


def test_queue_lists_only_the_patients_alerts(nurse_client, org, patient):
    other = PatientFactory(organization=org, first_name="Other", last_name="Person")
    mine = make_alert(patient, "critical")
    make_alert(other, "critical")
    response = nurse_client.get(f"/alerts/?view=open&patient={patient.pk}")
    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == [mine.pk]
    assert {k: n for k, _, n in response.context["tabs"]}["open"] == 1


def test_the_filter_is_shown_and_kept_by_every_link(nurse_client, patient):
    make_alert(patient, "warning")
    body = nurse_client.get(f"/alerts/?view=open&severity=warning&patient={patient.pk}")
    html = unescape(body.content.decode())  # attributes may carry &amp; for &
    shown = f'Only the alerts of <a href="/patients/{patient.pk}/">{patient.display_name}</a>'
    assert shown in html
    assert 'href="/alerts/?view=open&severity=warning" hx-get' in html
    assert "Show every patient's alerts" in html
    assert f'href="/alerts/?view=new&severity=warning&patient={patient.pk}"' in html  # a tab
    assert f'<input type="hidden" name="patient" value="{patient.pk}">' in html  # severity form
    assert f"&patient={patient.pk}&page=1" in html  # the minute's refresh


def test_another_organizations_patient_is_not_found(nurse_client, other_org):
    outsider = PatientFactory(organization=other_org)
    make_alert(outsider, "critical")
    response = nurse_client.get(f"/alerts/?patient={outsider.pk}")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_roster_chips_link_to_the_patients_open_alerts(nurse_client, patient):
    make_alert(patient, "critical")
    make_alert(patient, "warning")
    html = nurse_client.get("/roster/").content.decode()
    assert f'href="/alerts/?view=open&severity=critical&patient={patient.pk}"' in html
    assert f'href="/alerts/?view=open&severity=warning&patient={patient.pk}"' in html
