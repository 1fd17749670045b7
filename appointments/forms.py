from django import forms

from appointments.models import AppointmentStatus, EpisodeStatus
from portal import dates

STATUS_FILTERS = [("", "Any status"), ("open", "Open (not closed)"), *AppointmentStatus.choices]


class ListFilterForm(forms.Form):
    RANGE_CHOICES = [("today", "Today"), ("week", "This week")]
    range = forms.ChoiceField(choices=RANGE_CHOICES, required=False)
    day = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[dates.QUERY_DAY.validate],
    )
    waiting_room = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)

    def __init__(self, *args, rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["waiting_room"].choices = [("", "All waiting rooms")] + [
            (r.pk, r.name) for r in rooms
        ]


class SlotSearchForm(forms.Form):
    waiting_room = forms.TypedChoiceField(coerce=int, label="Waiting room")
    day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Day",
        validators=[dates.QUERY_DAY.validate],
    )

    def __init__(self, *args, rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["waiting_room"].choices = [(r.pk, r.name) for r in rooms]


class SlotField(forms.IntegerField):
    """A free slot as Solo gives it (Unix seconds), cleaned to an aware UTC instant. Only the
    plausible range is checked here; the booking service refuses the past and > 365 days."""

    def clean(self, value):
        seconds = super().clean(value)
        try:
            return dates.from_timestamp(seconds)
        except dates.DateRefused as exc:
            raise forms.ValidationError(f"That time cannot be booked. {exc}") from None


class BookForm(forms.Form):
    waiting_room = forms.IntegerField(widget=forms.HiddenInput)
    slot = SlotField(error_messages={"required": "Pick a free time first."})
    reason = forms.CharField(max_length=200, required=False, label="Reason for the visit")


class RescheduleForm(forms.Form):
    slot = SlotField(error_messages={"required": "Pick a new time first."})


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="Reason for cancelling",
        error_messages={"required": "Please give a reason for cancelling."},
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="File (PDF, PNG or JPEG, up to 5 MB)",
        allow_empty_file=True,  # the service refuses it with a clearer message
        error_messages={"required": "Choose a file to upload."},
    )


class EpisodeForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.CharField(max_length=100, label="Type", initial="rpm")
    starts_on = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[dates.QUERY_DAY.validate],
    )
    ends_on = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[dates.QUERY_DAY.validate],
    )
    status = forms.ChoiceField(choices=EpisodeStatus.choices, initial=EpisodeStatus.ACTIVE)
    objective = forms.CharField(max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The episode cannot end before it starts.")
        return data


class CsvDumpForm(forms.Form):
    start = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[dates.QUERY_DAY.validate],
    )
    end = forms.DateField(
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[dates.QUERY_DAY.validate],
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The end date must not be before the start date.")
        return data


class EncounterReportForm(CsvDumpForm):
    preset_id = forms.CharField(
        max_length=64, label="Report preset id", help_text="From Solo's report settings."
    )
    password = forms.CharField(
        min_length=8,
        max_length=128,
        widget=forms.PasswordInput,
        help_text="Locks the zipped CSV; you will need it to open the file. Not stored.",
    )


class AssistanceForm(forms.Form):
    BY_CHOICES = [
        ("bed", "Building, floor, room (and bed)"),
        ("department", "Department, room (and bed)"),
        ("mrn", "Patient MRN"),
        ("device", "Device serial number"),
    ]
    by = forms.ChoiceField(choices=BY_CHOICES, initial="bed", label="Find the bed by")
    building = forms.CharField(max_length=100, required=False)
    floor = forms.CharField(max_length=100, required=False)
    department = forms.CharField(max_length=100, required=False)
    room = forms.CharField(max_length=100, required=False)
    bed = forms.CharField(max_length=100, required=False)
    patient_mrn = forms.CharField(max_length=64, required=False, label="Patient MRN")
    device_serial = forms.CharField(max_length=64, required=False, label="Device serial number")

    REQUIRED = {
        "bed": ("building", "floor", "room"),
        "department": ("department", "room"),
        "mrn": ("patient_mrn",),
        "device": ("device_serial",),
    }

    def clean(self):
        data = super().clean()
        for name in self.REQUIRED.get(data.get("by"), ()):
            if not data.get(name):
                self.add_error(name, "Required for this way of finding the bed.")
        return data

    def location(self) -> dict:
        d = self.cleaned_data
        if d["by"] == "mrn":
            return {"patientMrn": d["patient_mrn"]}
        if d["by"] == "device":
            return {"deviceSerialNumber": d["device_serial"]}
        keys = ("building", "floor", "room") if d["by"] == "bed" else ("department", "room")
        body = {k: d[k] for k in keys}
        if d.get("bed"):
            body["bed"] = d["bed"]
        return body
