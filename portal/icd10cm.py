"""The ICD-10-CM code set the enrolment page searches: billable codes only, with CMS's
descriptions, from the `simple-icd-10-cm` package (which ships CMS's tabular list and code list
for the current fiscal-year release and is updated with each one).

Why the package's data files and not its API: importing `simple_icd_10_cm` builds a tree of
every code and takes ~10-30 s and ~200 MB per process; reading the same two files here with
ElementTree takes a few seconds once per process, then a search is a scan of ~75,000 short
strings. The rules are the package's (and CMS's): a code is billable when it has no children;
a leaf whose category carries a seventh-character definition is billable only with one of those
characters (placeholder X up to six characters), and only where CMS's code list holds it."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "simple-icd-10-cm"
SEARCH_LIMIT = 25
# Words staff type that CMS's descriptions spell out.
ABBREVIATIONS = {
    "afib": "atrial fibrillation",
    "chf": "heart failure",
    "ckd": "chronic kidney disease",
    "copd": "chronic obstructive pulmonary disease",
    "dm": "diabetes mellitus",
    "hf": "heart failure",
    "htn": "hypertension",
    "t1dm": "type 1 diabetes mellitus",
    "t2dm": "type 2 diabetes mellitus",
}


@dataclass(frozen=True)
class Code:
    code: str  # with the dot, as CMS prints it: "I50.22"
    description: str


class _CodeSet:
    def __init__(self):
        self._lock = threading.Lock()
        self._codes: list[Code] | None = None
        self._by_code: dict[str, Code] = {}
        self._haystack: list[str] = []

    def codes(self) -> list[Code]:
        if self._codes is None:
            with self._lock:
                if self._codes is None:
                    codes = _billable_codes()
                    self._by_code = {c.code: c for c in codes}
                    self._haystack = [
                        f"{c.code.replace('.', '')} {c.description}".lower() for c in codes
                    ]
                    self._codes = codes
        return self._codes

    def warm(self) -> None:
        """Load the code set in the background (the enrolment page calls this when it opens,
        so the first search does not wait for the few seconds the load takes)."""
        if self._codes is None:
            threading.Thread(target=self.codes, name="icd10cm-load", daemon=True).start()

    def get(self, code: str) -> Code | None:
        self.codes()
        return self._by_code.get(normalise(code))

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[Code]:
        codes = self.codes()
        typed = [w for w in re.split(r"[\s,]+", query.lower().replace(".", "")) if w]
        if not typed:
            return []
        words = [part for w in typed for part in ABBREVIATIONS.get(w, w).split()]
        # Codes that start with what was typed come first (a coder types "I50.2"), then codes
        # whose description holds every word (a nurse types "heart failure chronic").
        by_code = [
            c
            for c in codes
            if len(typed) == 1 and c.code.replace(".", "").lower().startswith(typed[0])
        ]
        found = by_code[:limit]
        if len(found) < limit:
            seen = {c.code for c in found}
            for code, text in zip(codes, self._haystack, strict=True):
                if code.code not in seen and all(w in text for w in words):
                    found.append(code)
                    if len(found) >= limit:
                        break
        return found


def normalise(code: str) -> str:
    """A code as CMS prints it, from what someone typed ("i5022", " I50.22 ") → "I50.22"."""
    bare = re.sub(r"[^0-9A-Za-z]", "", code or "").upper()
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


def release() -> str:
    """Which release of the code set is in use, for the page and the README."""
    name = _data_path("code-list", ".txt").name
    label = name.removeprefix("code-list-").removesuffix(".txt").replace("-", " ")
    return f"{label} (simple-icd-10-cm {metadata.version(DISTRIBUTION)})"


def _data_path(prefix: str, suffix: str) -> Path:
    # Found through the installed distribution's file list: importing the package (even its
    # `data` subpackage, through importlib.resources) would run its slow loader.
    for entry in metadata.distribution(DISTRIBUTION).files or []:
        name = entry.name
        if entry.parent.name == "data" and name.startswith(prefix) and name.endswith(suffix):
            return Path(str(entry.locate()))
    raise RuntimeError(f"{DISTRIBUTION} ships no data/{prefix}*{suffix}: check its version")


def _billable_codes() -> list[Code]:
    listed = set(_data_path("code-list", ".txt").read_text(encoding="utf-8").split())
    root = ET.parse(_data_path("", ".xml")).getroot()  # noqa: S314 (see the import)
    codes: list[Code] = []
    for chapter in root.iter("chapter"):
        for section in chapter.iter("section"):
            for diag in section.findall("diag"):
                _walk(diag, None, listed, codes)
    return codes


def _walk(diag, seventh: dict | None, listed: set[str], out: list[Code]) -> None:
    name = diag.findtext("name", "").strip()
    description = diag.findtext("desc", "").strip()
    definition = diag.find("sevenChrDef")
    if definition is not None:
        seventh = {e.get("char"): (e.text or "").strip() for e in definition.iter("extension")}
    children = diag.findall("diag")
    for child in children:
        _walk(child, seventh, listed, out)
    if children:
        return
    if not seventh:
        out.append(Code(name, description))
        return
    base = name if "." in name else f"{name}."
    base = base.ljust(7, "X")
    for char, meaning in seventh.items():
        code = f"{base}{char}"
        if code.replace(".", "") in listed:
            out.append(Code(code, f"{description}, {meaning}"))


CODE_SET = _CodeSet()
