from django.apps import AppConfig


class CareConfig(AppConfig):
    """The care-team workspace: roster, thresholds and alerts, time log, RPM billing. A sub-app
    of readings (it reads the readings series) with its own models and migrations."""

    name = "readings.care"
    label = "care"
    verbose_name = "Care-team workspace"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from readings.care.models import ThresholdRule
        from readings.care.thresholds import rule_written

        # Every write of a rule — services, Django admin, a cascade — retires the cached rules.
        post_save.connect(rule_written, sender=ThresholdRule, dispatch_uid="care-rule-saved")
        post_delete.connect(rule_written, sender=ThresholdRule, dispatch_uid="care-rule-deleted")
