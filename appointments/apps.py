from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"

    def ready(self):
        from django.conf import settings

        settings.CELERY_BEAT_SCHEDULE["solo-webhook-retries"] = {
            "task": "appointments.tasks.solo_webhook_deliveries_retry_due",
            "schedule": 60.0,
        }
        settings.CELERY_BEAT_SCHEDULE["solo-report-jobs"] = {
            "task": "appointments.tasks.report_jobs_refresh",
            "schedule": 60.0,
        }
        settings.CELERY_BEAT_SCHEDULE["solo-appointments-reconcile"] = {
            "task": "appointments.tasks.appointments_reconcile",
            "schedule": 900.0,
        }
        settings.CELERY_BEAT_SCHEDULE["solo-waiting-rooms"] = {
            "task": "appointments.tasks.waiting_rooms_sync_all",
            "schedule": 3600.0,
        }
