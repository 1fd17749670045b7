"""Django admin for readings (read-only unless superuser, scoped, audited) and the demo load."""

from http import HTTPStatus

from portal.models import AuditEvent
from readings.models import Reading
from tests.factories import ReadingFactory


def test_org_admin_sees_own_readings_read_only_and_opening_one_is_audited(
    client, ada, patient, other_patient
):
    mine = ReadingFactory(patient=patient)
    theirs = ReadingFactory(patient=other_patient)
    client.force_login(ada)
    listing = client.get("/admin/readings/reading/")
    assert listing.status_code == HTTPStatus.OK
    assert f"/admin/readings/reading/{mine.pk}/change/" in listing.content.decode()
    assert f"/admin/readings/reading/{theirs.pk}/change/" not in listing.content.decode()
    detail = client.get(f"/admin/readings/reading/{mine.pk}/change/")
    assert detail.status_code == HTTPStatus.OK
    assert 'name="_save"' not in detail.content.decode()  # view only
    assert client.get(f"/admin/readings/reading/{theirs.pk}/change/").status_code in (302, 404)
    assert AuditEvent.objects.filter(action="reading.view", patient=patient).count() == 1
    response = client.post(f"/admin/readings/reading/{mine.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Reading.objects.filter(pk=mine.pk).exists()


def test_load_demo_data_loads_the_month_and_is_idempotent(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_data", "--patients", "6", stdout=StringIO())
    count = Reading.objects.count()
    assert count > 500
    assert Reading.objects.filter(metric="systolic").exists()
    assert Reading.objects.filter(metric="weight", unit="[lb_av]").exists()
    assert Reading.objects.filter(source="validic", metric="spo2").exists()
    call_command("load_demo_data", "--patients", "6", stdout=StringIO())
    assert Reading.objects.count() == count
