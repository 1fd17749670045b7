"""The care panel on the patient page: open alerts, the time log with its timer, and this
month's billing status. No audit event here: the patient page already wrote one."""

from django.template.loader import render_to_string
from django.utils import timezone

from readings.care import selectors
from readings.care.forms import TimeEntryForm, TimerStopForm
from readings.care.models import CareTimer
from readings.care.outreach import outreach_for
from readings.care.outreach_models import OutreachMedium, OutreachOutcome


def patient_panel(request, patient) -> str:
    today = timezone.now().astimezone(patient.tz).date()
    line = selectors.billing_lines([patient], today)[0]
    context = {
        "patient": patient,
        "alerts": list(selectors.alert_queue(patient.organization, patient=patient)[:10]),
        "timer": CareTimer.objects.filter(user=request.user, patient=patient).first(),
        "entries": list(selectors.time_entries_for(patient, month=today)),
        "form": TimeEntryForm(initial={"day": today, "minutes": 10}, auto_id="time-%s"),
        "stop_form": TimerStopForm(auto_id="timer-%s"),
        "line": line,
        "today": today,
        "user": request.user,
        "outreach": outreach_for(patient),
        "outreach_outcomes": OutreachOutcome.choices,
        "outreach_media": OutreachMedium.choices,
    }
    return render_to_string("care/_panel.html", context, request=request)
