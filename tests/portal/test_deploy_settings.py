import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings():
    from cryptography.fernet import Fernet

    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"PORTAL_SANDBOX", "DEBUG", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        SECRET_KEY="prod-" + "k3y-" * 16,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secrets():
    env = {
        k: v for k, v in os.environ.items() if k not in {"PORTAL_SANDBOX", "DEBUG", "SECRET_KEY"}
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_sandbox_is_not_mounted_in_production():
    env = {k: v for k, v in os.environ.items() if k not in {"PORTAL_SANDBOX", "DEBUG"}}
    env.update(
        SECRET_KEY="x" * 60,
        FIELD_ENCRYPTION_KEY=__import__("cryptography.fernet")
        .fernet.Fernet.generate_key()
        .decode(),
    )
    code = (
        "from django.urls import resolve, Resolver404\n"
        "try:\n resolve('/sandbox/_reset'); print('mounted')\n"
        "except Resolver404:\n print('absent')"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip().splitlines()[-1] == "absent", result.stderr
