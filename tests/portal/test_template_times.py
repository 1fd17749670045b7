"""Every template that shows a time of day shows its zone: through the times filters
(portal/templatetags/times.py), or with the zone in the same date format ("T", "O") inside an
explicit {% timezone %} block. The footer of every page promises it."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
DATE_FORMAT = re.compile(r"""\|date:(?:"([^"]*)"|'([^']*)')""")
TIME_OF_DAY = set("aAfgGhHiPsu")  # Django date-format characters that print a clock time
ZONE = set("eOTZ")


def _chars(fmt: str) -> set[str]:
    return set(re.sub(r"\\.", "", fmt))  # a backslash-escaped character is literal text


def raw_times(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        formats = [a or b for a, b in DATE_FORMAT.findall(line)]
        timed = [f for f in formats if _chars(f) & TIME_OF_DAY]
        if timed and not any(_chars(f) & ZONE for f in formats):
            found.extend((number, f) for f in timed)
    return found


def test_the_walker_catches_a_time_without_its_zone():
    assert raw_times('{{ a.created_at|date:"M j, H:i" }} UTC') == [(1, "M j, H:i")]
    assert raw_times('{{ a.at|date:"g:i A" }} <span>{{ a.at|date:"T" }}</span>') == []
    assert raw_times('{{ a.day|date:"M j, Y" }} {{ a.at|staff_time }}') == []
    assert raw_times(r'{{ a.day|date:"\h\e\r\e" }}') == []


def test_no_template_shows_a_time_without_its_zone():
    problems = [
        f"{path.relative_to(TEMPLATES)}:{line}: |date:{fmt!r}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for line, fmt in raw_times(path.read_text())
    ]
    assert problems == [], "use |staff_time or |patient_time:patient:\n" + "\n".join(problems)
