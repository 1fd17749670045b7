"""Modules stay small enough to read in one sitting: an app module (migrations and the
sandbox aside) past 500 lines is split by concern into a package, as readings/services/ was."""

from pathlib import Path

from django.conf import settings

LIMIT = 500


def test_no_app_module_is_past_the_limit():
    root = Path(settings.BASE_DIR)
    too_long = {
        str(path.relative_to(root)): lines
        for top in ("portal", "devices", "readings", "appointments")
        for path in (root / top).rglob("*.py")
        if "migrations" not in path.parts
        and not path.is_relative_to(root / "portal" / "sandbox")
        and (lines := len(path.read_text().splitlines())) > LIMIT
    }
    assert too_long == {}
