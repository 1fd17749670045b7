from django.apps import AppConfig


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
            built_in_programs_ensure, sender=self, dispatch_uid="built_in_programs"
        )


def built_in_programs_ensure(sender, using="default", **kwargs):
    from portal.enrolment_models import Program

    if Program._meta.db_table not in _tables(using):
        return
    for code, name in Program.BUILT_IN:
        Program.objects.using(using).get_or_create(
            organization=None, code=code, defaults={"name": name}
        )


def _tables(using) -> list[str]:
    from django.db import connections

    return connections[using].introspection.table_names()
