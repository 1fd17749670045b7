from django.apps import AppConfig


class CareConfig(AppConfig):
    """Care: roster, alert queue and triage, time log, RPM billing, the patient page. It sits on
    top of readings (it reads the series and the alerts ingestion raised), with its own models
    and migrations."""

    name = "readings.care"
    label = "care"
    verbose_name = "Care"

    def ready(self):
        # The alert protocol hears of new alerts from readings (which never imports care) and
        # of hand-offs from triage; dispatch_uid keeps one connection per process.
        from readings.care import notifications
        from readings.care.signals import alert_handed
        from readings.signals import alert_raised

        alert_raised.connect(notifications.on_alert_raised, dispatch_uid="care.notify_raised")
        alert_handed.connect(notifications.on_alert_handed, dispatch_uid="care.notify_handed")
