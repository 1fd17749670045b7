"""Patient page panels. Each app may define `<app>.panels.patient_panel(request, patient)`
returning rendered HTML (or "" for nothing); the patient page shows them in this order, in the
same request, so one page view is one audit event."""

from importlib import import_module

PANEL_APPS = ("readings", "devices", "appointments")


def patient_panels(request, patient) -> list[str]:
    html = []
    for app in PANEL_APPS:
        try:
            module = import_module(f"{app}.panels")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.panels":
                raise
            continue
        fragment = module.patient_panel(request, patient)
        if fragment:
            html.append(fragment)
    return html
