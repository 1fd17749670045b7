"""The devices panel on the patient page (no audit event here: the page already wrote one)."""

from django.template.loader import render_to_string

from devices.forms import SmartMeterConnectForm
from devices.selectors import patient_devices
from portal.access import CLINICAL


def patient_panel(request, patient) -> str:
    membership = getattr(request, "membership", None)
    context = {
        "patient": patient,
        "can_act": membership is not None and membership.role in CLINICAL,
        "connect_form": SmartMeterConnectForm(),
        **patient_devices(patient),
    }
    return render_to_string("devices/_patient_panel.html", context, request=request)
