import os

from tests.production import last_line, manage


def test_check_deploy_is_clean_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets():
    result = manage("check", SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_an_encryption_key():
    result = manage("check", FIELD_ENCRYPTION_KEY=None)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_sandbox_is_not_mounted_in_production():
    code = (
        "from django.urls import resolve, Resolver404\n"
        "try:\n resolve('/sandbox/_reset'); print('mounted')\n"
        "except Resolver404:\n print('absent')"
    )
    result = manage("shell", "-c", code)
    assert last_line(result) == "absent", result.stderr
