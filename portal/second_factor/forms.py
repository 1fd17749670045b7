from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class PolicyForm(forms.Form):
    require_second_factor = forms.BooleanField(
        required=False, label="Require a second factor for every staff member"
    )
