import os
import re

import pytest

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


def deploy_check(**env):
    return manage(
        "check",
        "--deploy",
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        **env,
    )


@pytest.mark.parametrize(
    ("env", "errors"),
    [
        ({"PORTAL_SANDBOX": "1"}, {"portal.E001"}),
        ({"DEBUG": "1"}, {"portal.E002"}),
        # Without SECRET_KEY the sandbox/DEBUG default is the public demo key.
        ({"PORTAL_SANDBOX": "1", "SECRET_KEY": None}, {"portal.E001", "portal.E003"}),
        # Without either, the encryption key is derived from that public key.
        (
            {"DEBUG": "1", "SECRET_KEY": None, "FIELD_ENCRYPTION_KEY": None},
            {"portal.E002", "portal.E003", "portal.E004"},
        ),
        # A real SECRET_KEY but no encryption key of its own: derived, so still refused.
        ({"DEBUG": "1", "FIELD_ENCRYPTION_KEY": None}, {"portal.E002", "portal.E004"}),
    ],
)
def test_check_deploy_fails_on_demo_settings(env, errors):
    result = deploy_check(**env)
    assert result.returncode != 0, result.stdout + result.stderr
    found = set(re.findall(r"portal\.E\d{3}", result.stderr))
    assert found == errors, result.stderr


SANDBOX_CONTROL_CALLS = (
    "from django.test import Client\n"
    "c = Client(HTTP_HOST='portal.example.org')\n"
    "print(c.post('/sandbox/_reset').status_code,"
    ' c.post(\'/sandbox/_faults\', \'{"vendor": "impilo", "mode": "error"}\','
    " content_type='application/json').status_code,"
    " c.delete('/sandbox/_faults').status_code)"
)


def test_sandbox_control_is_refused_when_the_sandbox_is_on_without_debug():
    result = manage("shell", "-c", SANDBOX_CONTROL_CALLS, PORTAL_SANDBOX="1")
    assert last_line(result) == "404 404 404", result.stderr


def test_sandbox_control_answers_in_the_demo():
    result = manage("shell", "-c", SANDBOX_CONTROL_CALLS, PORTAL_SANDBOX="1", DEBUG="1")
    assert last_line(result) == "200 201 200", result.stderr
