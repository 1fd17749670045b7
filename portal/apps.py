from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal core"

    def ready(self):
        from portal import checks, schema  # noqa: F401  (register deploy checks, OpenAPI auth)
