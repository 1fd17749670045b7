"""Forms for the device pages. They parse input; the rules live in services."""

from django import forms

from devices.models import DeviceStatus, ItemKind
from devices.selectors import ASSIGNED, UNASSIGNED
from devices.services import SMART_METER_TYPE_LABELS
from devices.validators import clean_imei
from portal.models import Site


class InventoryFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=64,
        label="Serial number or IMEI",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Serial number or IMEI"}),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *DeviceStatus.choices])
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *ItemKind.choices])
    site = forms.ChoiceField(required=False)
    assigned = forms.ChoiceField(
        required=False,
        label="Assignment",
        choices=[("", "Assigned or not"), (ASSIGNED, "Assigned"), (UNASSIGNED, "Unassigned")],
    )

    def __init__(self, organization, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        sites = Site.objects.filter(organization=organization).order_by("name")
        self.fields["site"].choices = [("", "Any site"), *((str(s.pk), s.name) for s in sites)]

    def cleaned_filters(self) -> dict:
        """The filters for `devices_inventory`; an invalid value is ignored, not an error."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if self.is_bound and not data:
            data = {k: v for k, v in (self.cleaned_data or {}).items() if k not in self.errors}
        return {
            "status": data.get("status", ""),
            "kind": data.get("kind", ""),
            "site": data.get("site", ""),
            "assignment": data.get("assigned", ""),
            "query": data.get("q", ""),
        }


class AssignPatientForm(forms.Form):
    patient = forms.IntegerField()


class AssignDeviceForm(forms.Form):
    device = forms.IntegerField()


class SiteForm(forms.Form):
    site = forms.IntegerField(label="Clinic")

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sites is not None:
            sites = list(sites)
            empty = "Choose a clinic…" if sites else "No other clinic"
            self.fields["site"].widget = forms.Select(
                choices=[("", empty)] + [(s.pk, s.name) for s in sites]
            )


class ReplaceForm(forms.Form):
    replacement = forms.IntegerField(label="Replacement device")
    # Required in the browser too; the service refuses a blank reason for the page and API.
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="What is wrong with the old device?",
        widget=forms.Textarea(attrs={"rows": 3, "required": True}),
    )

    def __init__(self, *args, replacements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if replacements is not None:
            replacements = list(replacements)
            empty = "Choose a device on the shelf…" if replacements else "None on the shelf"
            self.fields["replacement"].widget = forms.Select(
                choices=[("", empty)]
                + [
                    (d.pk, f"{d.identifier} · {d.item.name} · {d.site.name if d.site else '—'}")
                    for d in replacements
                ]
            )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="New status")
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Note",
        help_text="Required to decommission or mark defective: say what happened.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (value, label)
            for value, label in DeviceStatus.choices
            if value != DeviceStatus.ASSIGNED and (device is None or value != device.current_status)
        ]


class SmartMeterConnectForm(forms.Form):
    imei = forms.CharField(
        label="IMEI",
        max_length=40,
        help_text="15 digits, printed under the barcode on the device.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    device_type = forms.ChoiceField(label="Device", choices=list(SMART_METER_TYPE_LABELS.items()))
    # Set by the confirmation page's second submit (the Luhn warning, devices.validators).
    confirm_imei = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_imei(self):
        return clean_imei(self.cleaned_data["imei"])
