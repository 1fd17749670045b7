"""Logs carry ids, never names: everything logged while staff and integrators read a patient."""

import logging

from portal.models import AuditEvent


def test_page_and_api_reads_log_no_patient_names(nurse_client, api, patient, caplog):
    caplog.set_level(logging.DEBUG)
    nurse_client.get("/patients/", {"q": "Quimby"})
    nurse_client.get(f"/patients/{patient.pk}/")
    api.get(f"/api/v1/patients/{patient.pk}")
    api.get("/api/v1/patients", {"search": "Harriet"})
    nurse_client.get("/patients/999999/")
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("Quimby", "Harriet", patient.birth_date.isoformat()):
        assert secret not in text
    # ...while every read was audited.
    assert AuditEvent.objects.count() == 4
    for event in AuditEvent.objects.all():
        assert "Quimby" not in str(event.detail)
