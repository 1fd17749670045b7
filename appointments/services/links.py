"""The patient's way into a visit: their join link, fetched fresh from Solo when it is used (Get
Provider and Patient Appointment Link with SAID, seed 003), shown to staff or emailed to a
patient who agreed to receive links by email.

The link is never stored: it lets whoever holds it into the visit, and Solo makes a fresh one on
every call (as for the provider link). `visitUrl` from Create Appointment is the same kind of
link and is not kept either, for the same reason."""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import send_mail
from django.utils import timezone

from appointments.models import Appointment
from appointments.services.common import VisitRefused, solo_client
from portal.audit import audit_event_record
from portal.http import MALFORMED_ANSWER, VendorError

logger = logging.getLogger("appointments.links")

SUBJECT = "Your video visit link"


def appointment_patient_link(*, appointment: Appointment, request=None, audit=True) -> str:
    """A fresh patient join link for the visit, by its SAID (the mirror's `solo_id`: every
    visit has one, while the external id is known to Solo only for visits the portal booked)."""
    answer = solo_client(appointment.organization).video_call_links_by_said(appointment.solo_id)
    url = answer.get("patientVisitUrl") if isinstance(answer, dict) else None
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise VendorError(
            "Solo", "Solo sent no patient link for this visit.", code=MALFORMED_ANSWER
        )
    if audit:
        audit_event_record(
            action="appointment.patient_link",
            request=request,
            patient=appointment.patient,
            obj=appointment,
        )
    return url


def patient_link_email_problem(appointment: Appointment) -> str | None:
    """Why the join link may not be emailed to this visit's patient now, in staff's words."""
    patient = appointment.patient
    if not appointment.is_open:
        return (
            f"This visit is {appointment.get_status_display().lower()}: there is nothing to join, "
            "so no link was sent."
        )
    if appointment.ends_at <= timezone.now():
        return "This visit is already over, so no link was sent."
    if not patient.email:
        return "The patient has no email address on file, so no link was sent."
    if not patient.email_links_consent:
        return (
            "The patient has not agreed to receive visit links by email, so no link was sent. "
            "Record their agreement first."
        )
    return None


def patient_link_message(appointment: Appointment, url: str) -> str:
    """The email's text: the visit time (in the patient's zone) and the link, nothing more.
    Email crosses servers the clinic does not control, so it names no patient, no reason, no
    waiting room (its name can say the condition: "Cardiology Follow-up") and no clinic: the
    patient knows who they booked with, and the sender address says where it comes from."""
    local = timezone.localtime(appointment.starts_at, appointment.patient.tz)
    when = f"{local:%A, %B} {local.day}, {local:%Y} at {local:%-I:%M %p} {local.tzname()}"
    return (
        f"Your video visit is on {when}.\n\n"
        f"At that time, join the visit with this link:\n{url}\n\n"
        "The link is for you alone: please do not forward it.\n"
    )


class LinkNotSent(VisitRefused):
    """The email was refused before Solo was asked, or the mail server did not take it."""


def appointment_patient_link_email(*, appointment: Appointment, by, request=None) -> None:
    """Email the patient a fresh join link for the visit (Django's email backend: EMAIL_URL).

    Sent in the request, not a task: staff are told at once whether the mail server took it,
    and a link fetched for a message that is never sent is not left lying in a queue. The audit
    row says who sent it for which visit and whether the server took it; never the address or
    the link."""
    problem = patient_link_email_problem(appointment)
    if problem:
        raise LinkNotSent(problem)
    url = appointment_patient_link(appointment=appointment, request=request, audit=False)
    try:
        send_mail(
            SUBJECT,
            patient_link_message(appointment, url),
            None,  # DEFAULT_FROM_EMAIL
            [appointment.patient.email],
            fail_silently=False,
        )
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning(
            "patient link email not sent: appointment=%s error=%s",
            appointment.pk,
            type(exc).__name__,
        )
        _audit_sent(appointment, by=by, request=request, sent=False)
        raise LinkNotSent(
            "The mail server did not take the email, so no link was sent. Try again later."
        ) from exc
    _audit_sent(appointment, by=by, request=request, sent=True)


def _audit_sent(appointment, *, by, request, sent: bool) -> None:
    audit_event_record(
        action="appointment.patient_link.email",
        request=request,
        actor=by,
        patient=appointment.patient,
        obj=appointment,
        detail={"sent": sent},
    )
