"""Run manage.py in a subprocess with production settings (no sandbox, no DEBUG, real secrets)."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
TEST_ONLY = {
    "PORTAL_SANDBOX",
    "SANDBOX_CONTROL",
    "DEBUG",
    "CELERY_TASK_ALWAYS_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def production_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY}
    env.update(
        SECRET_KEY="prod-" + "k3y-" * 16,
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="portal.example.org",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def manage(*args, **env_overrides) -> subprocess.CompletedProcess:
    """`manage.py *args` under production settings; `NAME=None` removes a variable."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production_env(**env_overrides),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]
