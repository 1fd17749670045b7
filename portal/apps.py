from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from portal import checks, schema  # noqa: F401  (register deploy checks, OpenAPI auth)
        from portal.second_factor.services import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="second_factor_enrolment")
