"""The alert protocol page's forms: the protocol's settings and its escalation path, and one
form per rota line (a formset)."""

import datetime as dt

from django import forms

from readings.care.protocol import SlotInput
from readings.care.protocol_models import WEEKDAYS, AlertProtocol, EmailDetail

PATH_LENGTH = 4
DAY_CHOICES = [(str(i), day) for i, day in enumerate(WEEKDAYS)]
START_CHOICES = [(h, f"{h:02d}:00") for h in range(24)]
END_CHOICES = [(h, f"{h:02d}:00") for h in range(1, 24)] + [(24, "24:00 (midnight)")]


class PersonField(forms.TypedChoiceField):
    """A choice of the organization's clinicians, from a list read once per page (a
    ModelChoiceField would query again for every rota line it renders)."""

    def __init__(self, *, people, **kwargs):
        by_pk = {str(u.pk): u for u in people}
        choices = [("", "—")] + [(pk, _label(u)) for pk, u in by_pk.items()]
        super().__init__(choices=choices, coerce=by_pk.__getitem__, empty_value=None, **kwargs)


def _label(user) -> str:
    return f"{user.get_full_name() or user.username} ({user.membership.get_role_display()})"


class ProtocolForm(forms.Form):
    critical_minutes = forms.IntegerField(
        min_value=1,
        max_value=24 * 60,
        label="A critical alert may stay unacknowledged for (minutes)",
    )
    warning_minutes = forms.IntegerField(
        min_value=1,
        max_value=7 * 24 * 60,
        label="A warning may stay unacknowledged for (minutes)",
    )
    warning_portal = forms.BooleanField(required=False, label="Show warnings as portal notices")
    warning_email = forms.BooleanField(required=False, label="Email warnings too")
    email_detail = forms.ChoiceField(
        choices=EmailDetail.choices,
        widget=forms.RadioSelect,
        label="What a notification email may say",
        help_text="Email leaves the portal: the default names no patient and no value.",
    )
    quiet_start = forms.TimeField(
        required=False,
        label="Quiet hours from",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        required=False,
        label="Quiet hours until",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Warnings wait until quiet hours end; critical alerts never wait.",
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why this change",
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, PATH_LENGTH + 1):
            self.fields[f"path_{i}"] = PersonField(
                people=people, required=False, label=f"Escalate to, {ordinal(i)}"
            )

    def path_fields(self):
        return [self[f"path_{i}"] for i in range(1, PATH_LENGTH + 1)]

    def path(self) -> list:
        return [p for i in range(1, PATH_LENGTH + 1) if (p := self.cleaned_data.get(f"path_{i}"))]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "critical_limit": dt.timedelta(minutes=data["critical_minutes"]),
            "warning_limit": dt.timedelta(minutes=data["warning_minutes"]),
            "warning_portal": data["warning_portal"],
            "warning_email": data["warning_email"],
            "email_detail": data["email_detail"],
            "quiet_start": data.get("quiet_start"),
            "quiet_end": data.get("quiet_end"),
            "path": self.path(),
            "reason": data["reason"],
        }

    @staticmethod
    def initial_from(protocol: AlertProtocol | None) -> dict:
        if protocol is None:
            return {
                "critical_minutes": 15,
                "warning_minutes": 240,
                "warning_portal": True,
                "email_detail": EmailDetail.LINK,
            }
        initial = {
            "critical_minutes": max(1, round(protocol.critical_limit.total_seconds() / 60)),
            "warning_minutes": max(1, round(protocol.warning_limit.total_seconds() / 60)),
            "warning_portal": protocol.warning_portal,
            "warning_email": protocol.warning_email,
            "email_detail": protocol.email_detail,
            "quiet_start": protocol.quiet_start,
            "quiet_end": protocol.quiet_end,
        }
        for step in protocol.path.all():
            if step.position < PATH_LENGTH:
                initial[f"path_{step.position + 1}"] = step.person_id
        return initial


class RotaLineForm(forms.Form):
    days = forms.MultipleChoiceField(
        choices=DAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    start_hour = forms.TypedChoiceField(choices=START_CHOICES, coerce=int, label="From")
    end_hour = forms.TypedChoiceField(choices=END_CHOICES, coerce=int, label="To", initial=24)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"] = PersonField(people=people, required=False, label="On call")

    def clean(self):
        data = super().clean()
        if data.get("clinician") and not data.get("days"):
            self.add_error("days", "Tick the days this person is on call.")
        if data.get("days") and not data.get("clinician"):
            self.add_error("clinician", "Choose who is on call.")
        return data

    def slot(self) -> SlotInput | None:
        data = self.cleaned_data
        if not data.get("clinician"):
            return None
        return SlotInput(
            weekdays=sum(1 << int(d) for d in data["days"]),
            start_hour=data["start_hour"],
            end_hour=data["end_hour"],
            clinician=data["clinician"],
        )

    @staticmethod
    def initial_from(protocol: AlertProtocol | None) -> list[dict]:
        if protocol is None:
            return []
        return [
            {
                "days": [str(i) for i in range(7) if s.weekdays & (1 << i)],
                "start_hour": s.start_hour,
                "end_hour": s.end_hour,
                "clinician": s.clinician_id,
            }
            for s in protocol.slots.all()
        ]


RotaFormSet = forms.formset_factory(RotaLineForm, extra=3, max_num=60, validate_max=True)


def ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth"}[n]
