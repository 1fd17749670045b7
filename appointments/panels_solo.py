"""The patient page's "Demographics in Solo" panel: the record is loaded from Solo by the panel
itself (an htmx request of its own, audited there), so a slow Solo never holds the page up. The
agreement to receive visit links by email is the portal's own, shown beside it."""

from django.template.loader import render_to_string


def patient_panel(request, patient) -> str:
    return render_to_string(
        "appointments/_solo_patient_panel.html", {"patient": patient}, request=request
    )
