from django.apps import AppConfig


class CareConfig(AppConfig):
    """Care: roster, alert queue and triage, time log, RPM billing, the patient page. It sits on
    top of readings (it reads the series and the alerts ingestion raised), with its own models
    and migrations."""

    name = "readings.care"
    label = "care"
    verbose_name = "Care"

    def ready(self):
        from django.conf import settings

        settings.CELERY_BEAT_SCHEDULE["care-no-data-alerts"] = {
            "task": "readings.care.tasks.alerts_check_no_data_all",
            "schedule": 3600.0,
        }
