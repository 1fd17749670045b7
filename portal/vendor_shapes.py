"""Liberal in what vendors send: a vendor-shaped body may carry fields its document does not
name; they are ignored and their names (never their values: they may be PHI) logged once per
process. This module remembers which (shape, name) pairs were logged, for every vendor's shapes
(readings.serializers for Validic, patient-graph and Impilo; appointments.solo_shapes for Solo).
Bounded, so a client sending a new name with every request cannot grow it without end."""

from __future__ import annotations

import threading
from collections.abc import Iterable

_LOGGED: set[tuple[str, str]] = set()
_LOGGED_MAX = 1000
_LOCK = threading.Lock()


def names_not_yet_logged(shape: str, names: Iterable[str]) -> list[str]:
    """The names (sorted) not yet logged for `shape`, now remembered as logged — the caller logs
    them. Empty once the memory is full: nothing more is logged in this process."""
    with _LOCK:
        fresh = sorted({name for name in names if (shape, name) not in _LOGGED})
        fresh = fresh[: max(_LOGGED_MAX - len(_LOGGED), 0)]
        _LOGGED.update((shape, name) for name in fresh)
    return fresh
