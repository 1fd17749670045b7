from django.apps import AppConfig


class CareConfig(AppConfig):
    """Care: roster, alert queue and triage, time log, RPM billing, the patient page. It sits on
    top of readings (it reads the series and the alerts ingestion raised), with its own models
    and migrations."""

    name = "readings.care"
    label = "care"
    verbose_name = "Care"
