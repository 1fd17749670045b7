"""Forms for the patient's Solo demographics and their agreement to receive visit links by
email."""

from django import forms
from django.utils import timezone

from appointments.services.patients import GENDERS, SoloDemographics
from portal.identifiers import validate_zip_code


class DemographicsForm(forms.Form):
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, label="Last name")
    birth_date = forms.DateField(
        label="Birth date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    gender = forms.ChoiceField(
        choices=[("", "—"), *[(g, g.capitalize()) for g in GENDERS]], required=False
    )
    phone = forms.CharField(max_length=32, required=False)
    email = forms.EmailField(required=False, label="Email")
    preferred_language = forms.CharField(max_length=60, required=False, label="Language")
    address_line = forms.CharField(max_length=200, required=False, label="Street address")
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=40, required=False)
    postal_code = forms.CharField(
        max_length=10, required=False, label="ZIP", validators=[validate_zip_code]
    )

    @classmethod
    def for_demographics(cls, current: SoloDemographics):
        initial = {name: getattr(current, name) for name in SoloDemographics.EDITABLE}
        return cls(initial=initial)

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        if not value.year >= 1900 and value <= timezone.localdate():
            raise forms.ValidationError("Enter a birth date between 1900 and today.")
        return value

    def changes(self) -> dict:
        """Every field as Solo's text (the service sends only those that differ from Solo)."""
        data = dict(self.cleaned_data)
        data["birth_date"] = data["birth_date"].isoformat()
        return {name: data[name] for name in SoloDemographics.EDITABLE}


class EmailConsentForm(forms.Form):
    email = forms.EmailField(required=False, label="Patient's email address")
    agreed = forms.BooleanField(
        required=False, label="The patient agreed to receive visit links by email"
    )
