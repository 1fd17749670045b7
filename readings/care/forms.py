import datetime as dt

from django import forms

from portal import dates
from readings.care.models import Activity
from readings.models import Direction, RuleKind, Severity
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


class TimeEntryForm(forms.Form):
    day = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label="Date",
        validators=[dates.CARE_DAY.validate],
    )
    minutes = forms.IntegerField(min_value=1, max_value=600, label="Minutes")
    activity = forms.ChoiceField(choices=Activity.choices, initial=Activity.REVIEW)
    interactive = forms.BooleanField(
        required=False, label="Included an interactive call with the patient or caregiver"
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TimerStopForm(forms.Form):
    activity = forms.ChoiceField(choices=Activity.choices, initial=Activity.REVIEW)
    interactive = forms.BooleanField(
        required=False, label="Included an interactive call with the patient or caregiver"
    )
    note = forms.CharField(required=False, max_length=2000)


class AlertActionForm(forms.Form):
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


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
