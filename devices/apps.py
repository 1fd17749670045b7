from datetime import timedelta

from django.apps import AppConfig
from django.conf import settings


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self):
        # Reconcile the Impilo inventory and Validic connections every 30 minutes; staff
        # actions update the mirror immediately, so this only catches changes made elsewhere.
        settings.CELERY_BEAT_SCHEDULE["devices-sync-all"] = {
            "task": "devices.tasks.devices_sync_all",
            "schedule": timedelta(minutes=30),
        }
