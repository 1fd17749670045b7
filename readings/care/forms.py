import datetime as dt

from django import forms

from portal import dates
from readings.care.models import COUNTING_MEDIA, Activity, ContactMedium, ContactWith
from readings.models import AlertOutcome, Direction, RuleKind, Severity
from readings.thresholds import UNIT_CHOICES
from readings.units import Metric

NO_DATA_CHOICES = [("", "Any time"), ("2", "2+ days"), ("3", "3+ days"), ("7", "7+ days")]
SORT_CHOICES = [
    ("attention", "Needs attention first"),
    ("name", "Name"),
    ("last_reading", "Oldest reading first"),
    ("days", "Fewest device days"),
    ("minutes", "Fewest minutes"),
]


class RosterFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    attention = forms.BooleanField(required=False, label="Needs attention")
    nodata = forms.TypedChoiceField(
        required=False,
        choices=NO_DATA_CHOICES,
        coerce=int,
        empty_value=None,
        label="No data for",
    )
    below16 = forms.BooleanField(required=False, label="Below 16 days")
    mine = forms.BooleanField(required=False, label="My patients")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort")


MEDIUM_CHOICES = [("", "—"), *(c for c in ContactMedium.choices if c[0] in COUNTING_MEDIA)]
WITH_CHOICES = [("", "—"), *ContactWith.choices]


class ContactFields(forms.Form):
    """What a real-time call or visit was: the fields the timer and the time log share."""

    activity = forms.ChoiceField(choices=Activity.choices, initial=Activity.REVIEW, required=False)
    contact_medium = forms.ChoiceField(
        choices=MEDIUM_CHOICES, required=False, label="Call or visit by"
    )
    contact_with = forms.ChoiceField(choices=WITH_CHOICES, required=False, label="With")
    office_visit = forms.BooleanField(
        required=False,
        label="Billed separately as an office visit (its minutes are not RPM minutes)",
    )
    day_reason = forms.CharField(
        required=False, max_length=500, label="Reason, if over 2 hours for this patient today"
    )
    note = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        if entry is not None and entry.contact_medium == ContactMedium.UNRECORDED:
            # An entry from before contacts were recorded keeps its value until it is set.
            field = self.fields["contact_medium"]
            field.choices = [
                *field.choices,
                (entry.contact_medium, entry.get_contact_medium_display()),
            ]

    def service_values(self) -> dict:
        data = {**self.cleaned_data, "activity": self.cleaned_data["activity"] or Activity.REVIEW}
        return {
            name: data[name]
            for name in (
                "activity",
                "contact_medium",
                "contact_with",
                "office_visit",
                "day_reason",
                "note",
            )
        }


class TimeEntryForm(ContactFields):
    """Manual time: minutes and seconds, the day, and (for a Solo visit) which visit."""

    field_order = ["day", "minutes", "seconds"]
    day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Date",
        validators=[dates.CARE_DAY.validate],
    )
    minutes = forms.IntegerField(min_value=0, max_value=24 * 60, label="Minutes")
    seconds = forms.IntegerField(min_value=0, max_value=59, required=False, label="Seconds")
    appointment = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Solo visit", choices=[("", "—")]
    )

    def __init__(self, *args, visits=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.visits = {v.pk: v for v in visits}
        self.fields["appointment"].choices = [
            ("", "—"),
            *((v.pk, f"{v.starts_at:%b %-d %H:%M} UTC · {v.get_status_display()}") for v in visits),
        ]

    @classmethod
    def initial_for(cls, entry) -> dict:
        return {
            **entry.snapshot(),
            "minutes": entry.seconds // 60,
            "seconds": entry.seconds % 60,
        }

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            **super().service_values(),
            "day": data["day"],
            "seconds": data["minutes"] * 60 + (data.get("seconds") or 0),
            "appointment": self.visits.get(data.get("appointment")),
        }


class TimerStopForm(ContactFields):
    pass


class AlertActionForm(forms.Form):
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


OUTCOME_CHOICES = [("", "— choose an outcome —"), *AlertOutcome.choices]


class AlertResolveForm(AlertActionForm):
    # Required or not by the alert's severity: the service decides (on the locked row).
    outcome = forms.ChoiceField(choices=OUTCOME_CHOICES, required=False, label="Outcome")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} ({obj.membership.get_role_display()})"


class AlertClaimForm(AlertActionForm):
    take_over = forms.BooleanField(required=False)


class AlertAssignForm(AlertActionForm):
    to = StaffChoiceField(queryset=None, label="Assign to", empty_label="— choose a colleague —")

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = colleagues


class AlertEscalateForm(forms.Form):
    to = StaffChoiceField(
        queryset=None, label="Physician / QHP", empty_label="— choose a physician —"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        label="Reason",
        error_messages={"required": "Say why you escalate."},
    )

    def __init__(self, *args, physicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = physicians


class AlertBulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("acknowledge", "Acknowledge"), ("resolve", "Resolve")], label="Action"
    )
    alert = forms.TypedMultipleChoiceField(coerce=int, label="Alerts", required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    outcome = forms.ChoiceField(choices=OUTCOME_CHOICES, required=False, label="Outcome")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service checks each is the organization's alert.
        ids = self.data.getlist("alert") if hasattr(self.data, "getlist") else []
        self.fields["alert"].choices = [(i, i) for i in ids]


class ThresholdForm(forms.Form):
    kind = forms.ChoiceField(choices=RuleKind.choices, label="Rule")
    metric = forms.ChoiceField(
        choices=[("", "— (no data rules)"), *list(Metric.choices)], required=False
    )
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.ABOVE)
    value = forms.FloatField(required=False, label="Threshold")
    unit = forms.ChoiceField(
        choices=UNIT_CHOICES,
        required=False,
        label="Unit",
        help_text="Weight in lb or kg, temperature in °F or °C, glucose in mg/dL or mmol/L; "
        "stored converted to the metric's usual unit.",
    )
    readings_count = forms.IntegerField(
        required=False, min_value=2, max_value=50, label="N readings"
    )
    days = forms.IntegerField(required=False, min_value=1, max_value=60, label="Days")
    severity = forms.ChoiceField(choices=Severity.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Rule on")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class MonthForm(forms.Form):
    month = forms.CharField(required=False, max_length=7)

    def month_date(self, default: dt.date) -> dt.date:
        raw = (self.cleaned_data.get("month") or "").strip() if self.is_valid() else ""
        if not raw:
            return default.replace(day=1)
        try:
            return dates.parse_month(raw)
        except dates.DateRefused as exc:
            raise forms.ValidationError(str(exc)) from None
