"""The patient page's visits panel (episodes and documents: appointments.panels_records). No
audit event here: the patient page has already written one for this request."""

from django.template.loader import render_to_string

from appointments import selectors


def patient_panel(request, patient) -> str:
    return render_to_string(
        "appointments/_panel.html",
        {
            "patient": patient,
            "upcoming": list(selectors.upcoming_for_patient(patient)),
            "past": list(selectors.past_for_patient(patient)),
        },
        request=request,
    )
