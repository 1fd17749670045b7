"""Optional per-app modules found by convention (`<app>.panels`, `<app>.demo`)."""

from importlib import import_module
from types import ModuleType

FEATURE_APPS = ("devices", "readings", "appointments")


def app_modules(name: str, apps=FEATURE_APPS) -> list[ModuleType]:
    """`<app>.<name>` for each app that defines it, in `apps` order. An import error inside
    such a module is raised, not mistaken for its absence."""
    found = []
    for app in apps:
        try:
            found.append(import_module(f"{app}.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.{name}":
                raise
    return found
