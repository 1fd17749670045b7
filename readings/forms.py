from datetime import datetime

from django import forms

from readings.units import Metric

MANUAL_METRICS = [
    (Metric.HEART_RATE, "Heart rate (bpm)"),
    (Metric.SYSTOLIC, "Blood pressure (mmHg)"),
    (Metric.WEIGHT, "Weight (lb)"),
    (Metric.SPO2, "SpO₂ (%)"),
    (Metric.GLUCOSE, "Blood glucose (mg/dL)"),
    (Metric.TEMPERATURE, "Temperature (°F)"),
    (Metric.RESPIRATORY_RATE, "Respiratory rate (breaths/min)"),
]


def manual_initial(patient) -> dict:
    """Now, in the patient's local time, as the datetime-local input wants it."""
    from django.utils import timezone

    now = timezone.now().astimezone(patient.tz).replace(second=0, microsecond=0)
    return {"measured_at": now.strftime("%Y-%m-%dT%H:%M"), "metric": Metric.HEART_RATE}


class ManualReadingForm(forms.Form):
    """A reading a nurse took over the phone; `measured_at` is in the patient's local time."""

    metric = forms.ChoiceField(choices=MANUAL_METRICS, label="What was measured")
    value = forms.DecimalField(
        max_digits=8, decimal_places=2, label="Value", help_text="Systolic, for blood pressure."
    )
    second_value = forms.DecimalField(
        max_digits=8, decimal_places=2, required=False, label="Diastolic (blood pressure only)"
    )
    measured_at = forms.DateTimeField(
        label="Taken at (patient's local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_measured_at(self):
        value = self.cleaned_data["measured_at"]
        # The browser sends a wall-clock time; it is the patient's, not the server's.
        naive = value.replace(tzinfo=None)
        return datetime(*naive.timetuple()[:6], tzinfo=self.patient.tz)

    def clean(self):
        data = super().clean()
        if data.get("metric") == Metric.SYSTOLIC and data.get("second_value") is None:
            self.add_error("second_value", "Enter the diastolic value too.")
        return data
