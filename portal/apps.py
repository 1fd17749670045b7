from django.apps import AppConfig
from django.db import connections


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from portal import checks, schema  # noqa: F401  (register deploy checks, OpenAPI auth)
        from portal.second_factor.services import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="second_factor_enrolment")
        # The built-in programs are product data, not fixtures: migration 0007 adds them, and
        # this puts them back after any `flush` (which empties every table and then sends
        # post_migrate — as the test suite's transactional tests do between tests).
        post_migrate.connect(
            built_in_programs_after_migrate, sender=self, dispatch_uid="built_in_programs"
        )


def built_in_programs_after_migrate(sender, using="default", **kwargs):
    from portal.enrolment import built_in_programs_ensure
    from portal.enrolment_models import Program

    # A migrate that stops before portal 0007 has no table to fill yet.
    if Program._meta.db_table in connections[using].introspection.table_names():
        built_in_programs_ensure(using)
