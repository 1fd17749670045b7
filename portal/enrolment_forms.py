"""The enrolment and discharge forms. The rules live in portal.enrolment; these read what staff
typed and offer the organization's own choices (programs, physicians, clinical staff)."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from portal.dates import BIRTH_DATE
from portal.enrolment import CONSENT_TEXT_VERSION, built_in_programs_ensure, members
from portal.enrolment_models import ConsentMethod, DischargeReason, Program, Sex
from portal.staff_services import organization_tz

# Most patients live in these; the full IANA list follows for the rest.
US_TIME_ZONES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Arizona (Phoenix, no daylight saving)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
]


def time_zone_choices():
    us = {zone for zone, _ in US_TIME_ZONES}
    others = sorted(z for z in zoneinfo.available_timezones() if z not in us and "/" in z)
    return [
        ("United States", US_TIME_ZONES),
        ("All time zones", [(zone, zone.replace("_", " ")) for zone in others]),
    ]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


def _date_input():
    return forms.DateInput(attrs={"type": "date"})


class EnrolmentForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    birth_date = forms.DateField(widget=_date_input(), validators=[BIRTH_DATE.validate])
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)
    mrn = forms.CharField(label="MRN", max_length=64, help_text="Unique in your organization.")
    phone = forms.CharField(max_length=32, required=False)
    email = forms.EmailField(required=False)
    zip_code = forms.CharField(label="ZIP", max_length=10, required=False)
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Where the patient lives: their readings' days are counted in it.",
    )
    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label=None)
    ordering_physician = StaffChoiceField(queryset=None, required=False)
    primary_nurse = StaffChoiceField(queryset=None, required=False)
    consent_on = forms.DateField(label="Consent given on", widget=_date_input())
    consent_method = forms.ChoiceField(label="How consent was given", choices=ConsentMethod.choices)
    consent_recorded_by = StaffChoiceField(queryset=None, label="Consent recorded by")
    consent_text_version = forms.CharField(
        label="Consent text version",
        max_length=40,
        help_text="The version of the consent wording the patient agreed to.",
    )

    def __init__(self, organization, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
        self.fields["time_zone"].initial = organization.time_zone
        built_in_programs_ensure()
        self.fields["program"].queryset = Program.for_organization(organization)
        physicians = members(organization, physicians=True)
        clinical = members(organization, clinical=True)
        staff = members(organization)
        user_model = get_user_model()
        for name, found in (
            ("ordering_physician", physicians),
            ("primary_nurse", clinical),
            ("consent_recorded_by", staff),
        ):
            self.fields[name].queryset = user_model.objects.filter(
                pk__in=[m.user_id for m in found]
            ).order_by("last_name", "first_name", "username")
        self.fields["ordering_physician"].required = bool(physicians)
        self.fields["ordering_physician"].empty_label = "Choose the physician who ordered RPM"
        self.fields["primary_nurse"].empty_label = "No primary nurse yet"
        self.fields["consent_recorded_by"].initial = user.pk
        # Today where the organization is (the time zone's initial value), not the server's
        # UTC date, which in an American evening is already tomorrow (patient_enrol accepts a
        # date that is today where the organization or the patient is).
        self.fields["consent_on"].initial = timezone.localdate(
            timezone=organization_tz(organization)
        )
        self.fields["consent_text_version"].initial = CONSENT_TEXT_VERSION
        for name in ("phone",):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def enrolment_fields(self) -> dict:
        return dict(self.cleaned_data)


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *DischargeReason.choices])
    on = forms.DateField(label="Last day of monitoring", widget=_date_input())
    note = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    unassign = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Unassign these devices now",
        help_text="Each is unassigned at Impilo and kept in the device's history. Devices left "
        "assigned still send readings, which count for no bill after the discharge date.",
    )

    def __init__(self, *args, devices=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = today
        self.fields["unassign"].choices = [
            (str(d.pk), f"{d.item.name} ({d.identifier})") for d in devices
        ]
