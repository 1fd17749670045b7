"""The patient page: one page that composes every app's panel, so it lives at the top (care),
naming each panel explicitly. The panels render in the same request, so one page view is one
audit event; each returns "" when it has nothing to show."""

from django.shortcuts import render

from appointments import panels as appointments_panels
from appointments import panels_records as appointments_records_panels
from appointments import panels_solo
from devices import panels as devices_panels
from portal.access import patient_for_org, staff_action
from portal.audit import audit_event_record
from readings import panels as readings_panels
from readings.care import panels as care_panels
from readings.care import views_enrol

# In page order: the care team's work first, then the series, the devices, the visits.
PANELS = (
    views_enrol,  # enrolment status (program, consent, discharge, vendor links)
    care_panels,
    readings_panels,
    devices_panels,
    appointments_panels,
    appointments_records_panels,
    panels_solo,
)


def patient_panels(request, patient) -> list[str]:
    html = (module.patient_panel(request, patient) for module in PANELS)
    return [fragment for fragment in html if fragment]


@staff_action("patients.view")
def patient_detail(request, pk):
    patient = patient_for_org(request.organization, pk)
    audit_event_record(action="patient.view", request=request, patient=patient, obj=patient)
    return render(
        request,
        "care/patient_detail.html",
        {"patient": patient, "panels": patient_panels(request, patient)},
    )
