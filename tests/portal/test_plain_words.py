"""Staff pages speak plain words: vendor jargon seen by nurses ("Rule 3", "Report preset id",
"Device clock", "patient-graph" in a help line) is gone from templates and from the messages
the device rules give; the vendor detail stays one click away (a <details>, or a title)."""

import re
from pathlib import Path

from devices.services.rules import ASSOCIATION_RULE

ROOT = Path(__file__).resolve().parents[2]
JARGON = re.compile(r"Rule \d|Report preset id|>Device clock<|canonical unit", re.IGNORECASE)


def _visible_text(html: str) -> str:
    """The template's text a nurse reads at once: without <details> bodies and attributes."""
    html = re.sub(r"<details.*?</details>", "", html, flags=re.S)
    return re.sub(r"<[^>]*>", ">", html)


def test_no_jargon_in_staff_templates():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates").rglob("*.html")
        for match in JARGON.finditer(_visible_text(path.read_text()))
    ]
    assert found == []


def test_patient_graph_is_named_only_behind_a_click():
    text = _visible_text((ROOT / "templates/readings/_manual_form.html").read_text())
    assert "patient-graph" not in text


def test_device_rule_messages_say_no_rule_numbers():
    sources = (ROOT / "devices/services").glob("*.py")
    messages = [
        m.group(0) for path in sources for m in re.finditer(r'"Rule \d[^"]*"', path.read_text())
    ]
    assert messages == []
    assert "rule 3" in ASSOCIATION_RULE.format(3)  # the rule is still named, as a tooltip
