"""Patient page panels. Each app may define `<app>.panels.patient_panel(request, patient)`
returning rendered HTML (or "" for nothing); the patient page shows them in this order, in the
same request, so one page view is one audit event."""

from portal.hooks import app_modules

PANEL_APPS = ("readings.care", "readings", "devices", "appointments")


def patient_panels(request, patient) -> list[str]:
    html = (module.patient_panel(request, patient) for module in app_modules("panels", PANEL_APPS))
    return [fragment for fragment in html if fragment]
