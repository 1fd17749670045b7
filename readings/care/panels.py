"""The care panel on the patient page: open alerts, the time log with its timer, and this
month's billing status. No audit event here: the patient page already wrote one."""

from django.template.loader import render_to_string
from django.utils import timezone

from readings.care import selectors
from readings.care.forms import TimeEntryForm, TimerStopForm
from readings.care.models import CareTimer
from readings.care.outreach import outreach_for
from readings.care.outreach_models import OutreachMedium, OutreachOutcome


def patient_panel(request, patient, *, form=None, stop_form=None, notice=None) -> str:
    """The panel; after one of its forms was sent (views answer htmx with the panel alone),
    `form`/`stop_form` are the bound forms with their errors and the staff's input, and
    `notice` = (level, text) says what happened beside the forms."""
    today = timezone.now().astimezone(patient.tz).date()
    line = selectors.billing_lines([patient], today)[0]
    context = {
        "patient": patient,
        "alerts": list(selectors.alert_queue(patient.organization, patient=patient)[:10]),
        "timer": CareTimer.objects.filter(user=request.user, patient=patient).first(),
        "entries": list(selectors.time_entries_for(patient, month=today)),
        "form": form or TimeEntryForm(initial={"day": today, "minutes": 10}, auto_id="time-%s"),
        "stop_form": stop_form or TimerStopForm(auto_id="timer-%s"),
        "notice": notice,
        "line": line,
        "today": today,
        "user": request.user,
        "outreach": outreach_for(patient),
        "outreach_outcomes": OutreachOutcome.choices,
        "outreach_media": OutreachMedium.choices,
    }
    return render_to_string("care/_panel.html", context, request=request)
