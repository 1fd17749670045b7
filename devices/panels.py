"""The devices panel on the patient page (no audit event here: the page already wrote one)."""

from django.template.loader import render_to_string

from devices.forms import SmartMeterConnectForm
from devices.selectors import patient_devices


def patient_panel(request, patient) -> str:
    context = {
        "patient": patient,
        "connect_form": SmartMeterConnectForm(),
        **patient_devices(patient),
    }
    return render_to_string("devices/_patient_panel.html", context, request=request)
