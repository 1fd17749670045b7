from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "readings"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from readings.models import ThresholdRule
        from readings.thresholds import rule_written

        # Every write of a rule — services, Django admin, a cascade — retires the cached rules.
        post_save.connect(rule_written, sender=ThresholdRule, dispatch_uid="rule-saved")
        post_delete.connect(rule_written, sender=ThresholdRule, dispatch_uid="rule-deleted")
