"""The beat schedule lives in settings; every entry must name a task Celery knows, or beat
would send messages no worker can run."""

from django.conf import settings

from portal.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    missing = [
        (name, entry["task"])
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if entry["task"] not in app.tasks
    ]
    assert missing == []
    assert len(settings.CELERY_BEAT_SCHEDULE) >= 9


def test_no_app_changes_the_schedule_at_start_up():
    """The schedule a reader sees in settings.py is the whole schedule."""
    import ast
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    offenders = [
        str(path.relative_to(root))
        for top in ("portal", "devices", "readings", "appointments")
        for path in (root / top).rglob("*.py")
        if path.name != "settings.py"
        and "CELERY_BEAT_SCHEDULE" in path.read_text()
        and any(
            isinstance(node, ast.Attribute) and node.attr == "CELERY_BEAT_SCHEDULE"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert offenders == []
