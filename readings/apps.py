from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "readings"

    def ready(self):
        from django.conf import settings

        settings.CELERY_BEAT_SCHEDULE["readings-pull"] = {
            "task": "readings.tasks.readings_pull_all",
            "schedule": 300.0,
        }
        settings.CELERY_BEAT_SCHEDULE["readings-outbox-retry"] = {
            "task": "readings.tasks.outbox_retry_due",
            "schedule": 60.0,
        }
