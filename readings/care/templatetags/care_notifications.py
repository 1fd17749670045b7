"""`{% alert_notifications alert %}`: the alert page's notification log (issue 17), a section of
its own so the alert page's view and actions stay triage's."""

from django import template

from readings.care.notifications_models import Notification
from readings.care.protocol_models import AlertProtocol

register = template.Library()


@register.inclusion_tag("care/_notice_log.html")
def alert_notifications(alert):
    return {
        "notifications": list(
            Notification.objects.filter(alert=alert).select_related("recipient").order_by("id")
        ),
        "protocol_set": AlertProtocol.objects.filter(
            organization_id=alert.organization_id, superseded_at__isnull=True
        ).exists(),
    }
