"""Django admin for the care models: scoped to the admin's organization; alerts and time
entries are read-only there (they change only through their audited services)."""

import datetime as dt
from http import HTTPStatus

from readings.models import Alert
from readings.thresholds import threshold_defaults_ensure
from tests.factories import evaluated


def test_org_admin_sees_only_own_alerts_and_cannot_delete(client, ada, patient, other_patient):
    now = dt.datetime.now(tz=dt.UTC)
    evaluated(patient, "systolic", 190, at=now - dt.timedelta(hours=1))
    evaluated(other_patient, "systolic", 190, at=now - dt.timedelta(hours=1))
    ours = Alert.objects.get(patient=patient)
    theirs = Alert.objects.get(patient=other_patient)
    client.force_login(ada)
    listing = client.get("/admin/readings/alert/")
    assert listing.status_code == HTTPStatus.OK
    assert list(listing.context["cl"].queryset) == [ours]
    response = client.post(f"/admin/readings/alert/{ours.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Alert.objects.filter(pk=theirs.pk).exists()
    assert Alert.objects.filter(pk=ours.pk).exists()


def test_org_admin_edits_default_thresholds(client, ada, org, patient):
    threshold_defaults_ensure(organization=org)
    client.force_login(ada)
    assert client.get("/admin/readings/thresholdrule/").status_code == HTTPStatus.OK
