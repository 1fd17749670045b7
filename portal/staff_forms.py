"""Forms of the Staff pages and of the invitee's sign-up page."""

from django import forms
from django.contrib.auth.forms import UserCreationForm

from portal.models import Role

# The order an admin thinks in: the everyday roles first.
ROLE_CHOICES = [
    (Role.NURSE.value, Role.NURSE.label),
    (Role.COORDINATOR.value, Role.COORDINATOR.label),
    (Role.PHYSICIAN.value, Role.PHYSICIAN.label),
    (Role.ORG_ADMIN.value, Role.ORG_ADMIN.label),
]
# Membership.clinical_staff: empty means the role decides.
CLINICAL_CHOICES = [
    ("", "As the role says"),
    ("yes", "Yes"),
    ("no", "No"),
]
CLINICAL_HELP = (
    "Clinical staff under CMS rules: their care-management time bills 99470, 99457 and 99458. "
    "As the role says: a nurse is, others are not. A physician's time bills either way."
)


def clinical_value(choice: str) -> bool | None:
    return {"yes": True, "no": False}.get(choice)


def clinical_choice(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "")  # type: ignore[arg-type]


class RoleFields(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    clinical_staff = forms.ChoiceField(
        label="Clinical staff", choices=CLINICAL_CHOICES, required=False, help_text=CLINICAL_HELP
    )

    @property
    def clinical_staff_value(self) -> bool | None:
        return clinical_value(self.cleaned_data.get("clinical_staff", ""))


class InviteForm(RoleFields):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="The sign-up link goes to this address.",
    )
    field_order = ["email", "role", "clinical_staff"]


class MemberForm(RoleFields):
    pass


class SignUpForm(UserCreationForm):
    """Username, name and password (Django's password validators, which also compare it with
    the username, the name and the invited address: set on the instance before validation)."""

    class Meta(UserCreationForm.Meta):
        fields = ("username", "first_name", "last_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        self.fields[
            "username"
        ].help_text = "What you type to sign in: letters, digits and @ . + - _ only."
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["password2"].label = "Password again"
        self.fields["password2"].help_text = ""
