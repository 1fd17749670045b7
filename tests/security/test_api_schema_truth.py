"""The schema tells the truth: Schemathesis runs every check it has (not only "no 5xx") in all
four phases — examples, coverage (boundaries and every documented negative), fuzzing, and the
stateful phase that follows the links it infers between operations (create, then read, change,
delete) — against the live portal, as an integrator whose organization has data, with its
vendors in the sandbox. Zero failures: every status is documented with its body, every
constraint the server enforces is in the schema, and every value the schema allows is accepted.

Deterministic (derandomized generation, one worker) and bounded (a few examples an operation,
no shrinking): about a minute and a half on two cores. The custom checks and the custom format
are in tests/security/schemathesis_hooks.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests import factories

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 5


@pytest.fixture
def fuzz_world(org, alice, patient, vendor_accounts):
    """`org` with a patient, a device, a Smart Meter, a visit, an alert and a time entry, wired
    to every vendor's sandbox over real HTTP; the key has every scope."""
    world = factories.route_world(org, patient)
    _key, raw = factories.api_key(org)
    return {"raw_key": raw, **world}


@pytest.mark.heavy
def test_schemathesis_finds_nothing_with_every_check_and_phase(live_server, fuzz_world, tmp_path):
    # The schema is fetched here, with a generous timeout, and handed over as a file: generating
    # it takes seconds on a loaded machine, and Schemathesis gives a schema URL only 10 s.
    schema_file = tmp_path / "schema.json"
    served = requests.get(f"{live_server.url}/api/schema/?format=json", timeout=180)
    assert served.status_code == 200, served.status_code
    schema_file.write_text(json.dumps(_key_operations(served.json())))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        f"--config-file={Path(__file__).with_name('schemathesis.toml')}",
        "run",
        str(schema_file),
        f"--url={live_server.url}",
        "--checks=all",
        # Replaced by the same check less the known date refusals (see the hooks module).
        "--exclude-checks=positive_data_acceptance",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--header=Authorization: Bearer {fuzz_world['raw_key']}",
        f"--max-examples={MAX_EXAMPLES}",
        "--generation-deterministic",
        "--no-shrink",
        # One worker: two would race in Hypothesis's (not thread-safe) lambda source cache.
        "--workers=1",
        "--request-timeout=20",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.security.schemathesis_hooks"}
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    output = result.stdout + result.stderr
    # Kept where a failed run can be read afterwards (pytest prunes old tmp_path directories).
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "schemathesis.txt").write_text(output)
    assert result.returncode == 0, _failure_summary(output)


def _key_operations(schema: dict) -> dict:
    """The schema less the operations it offers to a signed-in person only (claim, assign,
    escalate, release: an API key, which is how Schemathesis calls, gets 403 there by design;
    tests/care/test_alert_api_triage.py covers them with a session)."""
    for path, operations in list(schema["paths"].items()):
        for method, operation in list(operations.items()):
            security = operation.get("security") if isinstance(operation, dict) else None
            if security is not None and not any("ApiKey" in r for r in security):
                del operations[method]
        if not any(isinstance(o, dict) for o in operations.values()):
            del schema["paths"][path]
    return schema


def _failure_summary(output: str) -> str:
    """The report's failures or errors section, else its last lines (never an empty message)."""
    for heading in ("FAILURES", "ERRORS", "WARNINGS"):
        at = output.find(heading)
        if at != -1:
            return output[max(at - 40, 0) :][:20000]
    return output[-6000:]
