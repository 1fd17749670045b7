"""The patient page: one page that composes every app's panel, so it lives at the top (care),
naming each panel explicitly. The panels render in the same request, so one page view is one
audit event; each returns "" when it has nothing to show.

The page is what a nurse opens before every call: the header (who the patient is, what they
are monitored for, who looks after them, consent, devices and their last reading), the
readings, the medications, the timeline of everything that happened, then each app's panel.
The timeline's filter and its "older" pages are this URL too, answered as fragments (HTMX),
each audited."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from appointments import panels as appointments_panels
from appointments import panels_records as appointments_records_panels
from appointments import panels_solo
from devices import panels as devices_panels
from devices.models import Device
from portal.access import patients_for, staff_action
from portal.audit import audit_event_record
from portal.models import Patient
from readings import panels as readings_panels
from readings.care import panels as care_panels
from readings.care import views_enrol
from readings.care.medication_views import medications_section
from readings.care.selectors import timeline
from readings.models import Reading

# In page order, under the readings, medications and timeline: the care team's work, the
# devices, the visits.
PANELS = (
    care_panels,
    devices_panels,
    appointments_panels,
    appointments_records_panels,
    panels_solo,
)

# The timeline's fragments, by the element the request swaps (HX-Target).
TIMELINE_TARGETS = ("timeline-list", "timeline-older")


def patient_panels(request, patient) -> list[str]:
    html = (module.patient_panel(request, patient) for module in PANELS)
    return [fragment for fragment in html if fragment]


def devices_with_last_reading(patient: Patient) -> list[Device]:
    """The patient's devices, each with `last_reading_at` (its newest reading for this patient,
    None if none yet): one query."""
    newest = (
        Reading.objects.filter(device=OuterRef("pk"), patient=patient)
        .order_by("-measured_at")
        .values("measured_at")[:1]
    )
    return list(
        Device.objects.filter(assigned_patient=patient)
        .select_related("item")
        .annotate(last_reading_at=Subquery(newest))
        .order_by("item__name", "identifier")
    )


def header_context(patient: Patient) -> dict:
    """What the header shows; times in the patient's zone (the template names the zone)."""
    today = timezone.now().astimezone(patient.tz).date()
    return {
        "age": patient.age_on(today),
        "diagnoses": list(patient.diagnoses.filter(removed_at__isnull=True)),
        "devices": devices_with_last_reading(patient),
    }


def timeline_context(request, patient) -> dict:
    kinds = timeline.parse_kinds(request.GET.getlist("kind"))
    cursor = timeline.parse_cursor(request.GET.get("before", ""))
    page = timeline.patient_timeline(patient, kinds=kinds, cursor=cursor)
    filtered = len(kinds) < len(timeline.KINDS)
    query = "&".join(f"kind={k}" for k in kinds) if filtered else ""
    return {
        "timeline": page,
        # None ticked means every kind: a tick narrows the timeline to the ticked kinds.
        "timeline_kinds": [(k, label, filtered and k in kinds) for k, label in timeline.KINDS],
        "timeline_filtered": filtered,
        "timeline_query": query,
        "timeline_older": cursor is not None,
    }


@staff_action("patients.view")
def patient_detail(request, pk):
    patient = get_object_or_404(
        patients_for(request.organization).select_related(
            "program", "primary_nurse", "ordering_physician", "consent_recorded_by"
        ),
        pk=pk,
    )
    target = request.htmx.target if request.htmx else None
    if target in TIMELINE_TARGETS:
        context = {"patient": patient, **timeline_context(request, patient)}
        audit_event_record(
            action="patient.timeline",
            request=request,
            patient=patient,
            obj=patient,
            detail={"kinds": request.GET.getlist("kind"), "older": context["timeline_older"]},
        )
        older = target == "timeline-older"
        return render(request, f"care/_timeline{'_items' if older else ''}.html", context)
    audit_event_record(action="patient.view", request=request, patient=patient, obj=patient)
    return render(
        request,
        "care/patient_detail.html",
        {
            "patient": patient,
            **header_context(patient),
            **timeline_context(request, patient),
            "readings_panel": readings_panels.patient_panel(request, patient),
            "medications": medications_section(request, patient),
            # program, consent, discharge and vendor links, under the header
            "enrolment": views_enrol.patient_panel(request, patient),
            "panels": patient_panels(request, patient),
        },
    )
