from datetime import datetime

from django import forms

from appointments.models import AppointmentStatus, ConsultRequest, EpisodeStatus
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
        max_length=64,
        label="Solo report layout",
        help_text="The id of a saved report layout (a “preset”): Solo shows it in its report "
        "settings.",
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


class LocalDateTimeField(forms.DateTimeField):
    """A `datetime-local` input read in the zone the form is given (the patient's or the
    organization's), never the server's."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

    def __init__(self, *args, zone=None, **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            for fmt in self.input_formats:
                try:
                    naive = datetime.strptime(value.strip(), fmt)  # noqa: DTZ007 - zone set below
                except ValueError:
                    continue
                if not 1900 <= naive.year <= 2100:
                    break
                return naive.replace(tzinfo=self.zone)
            raise forms.ValidationError("Enter a date and time.", code="invalid")
        return super().to_python(value)


class EpisodeUpdateForm(EpisodeForm):
    reason_incomplete = forms.CharField(
        max_length=500, required=False, label="Reason if incomplete"
    )


DOCUMENT_ROWS = 5


class PatientDocumentForm(forms.Form):
    """Add Patient Document (seed 003): a name, a date and time, question-and-response pairs."""

    name = forms.CharField(max_length=200, label="Document name")
    written_at = LocalDateTimeField(label="Date and time")

    def __init__(self, *args, zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["written_at"].zone = zone
        for i in range(1, DOCUMENT_ROWS + 1):
            self.fields[f"question_{i}"] = forms.CharField(
                max_length=500, required=False, label=f"Question {i}"
            )
            self.fields[f"response_{i}"] = forms.CharField(
                max_length=2000,
                required=False,
                label=f"Response {i}",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self):
        """(question field, response field) pairs, for the template."""
        return [(self[f"question_{i}"], self[f"response_{i}"]) for i in range(1, DOCUMENT_ROWS + 1)]

    def responses(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {"question": d.get(f"question_{i}", ""), "response": d.get(f"response_{i}", "")}
            for i in range(1, DOCUMENT_ROWS + 1)
        ]


class ConsultForm(forms.Form):
    """Perfect answer API (seed 003): the stat teleconsult request's fields, in staff words."""

    patient = forms.TypedChoiceField(coerce=int, label="Patient")
    reason = forms.ChoiceField(choices=ConsultRequest.Reason.choices, label="Consult")
    consult_type = forms.ChoiceField(
        choices=ConsultRequest.ConsultType.choices, label="New or update"
    )
    location_id = forms.UUIDField(
        label="Location id",
        help_text="The geolocation id of your location in Solo (a UUID).",
        error_messages={"invalid": "Enter the location's id as Solo shows it (a UUID)."},
    )
    requesting_provider = forms.CharField(max_length=200, label="Requesting provider")
    physician_callback_number = forms.CharField(
        max_length=40, required=False, label="Physician callback number"
    )
    patient_location = forms.CharField(max_length=200, required=False, label="Patient location")
    caller = forms.CharField(max_length=200, required=False, label="Caller")
    call_center_notified = LocalDateTimeField(required=False, label="Call center notified at")
    physician_notified = LocalDateTimeField(required=False, label="Physician notified at")

    def __init__(self, *args, patients=(), zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].choices = [("", "Choose a patient")] + [
            (p.pk, f"{p.display_name} · MRN {p.mrn}") for p in patients
        ]
        for name in ("call_center_notified", "physician_notified"):
            self.fields[name].zone = zone
