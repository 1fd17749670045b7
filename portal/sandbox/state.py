"""In-memory vendor state and fault injection, shared by every sandbox module."""

from __future__ import annotations

import copy
import itertools
import threading
from collections import defaultdict, deque
from dataclasses import dataclass

SEEDERS: list = []  # callables(store) registered by vendor modules, run on reset()


def seeder(func):
    """Register `func(store)` to fill the store at start-up and on every reset."""
    SEEDERS.append(func)
    return func


class Store:
    """Collections of JSON-like dicts keyed by id, per vendor. Thread-safe via one lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self._data: dict[tuple[str, str], dict] = defaultdict(dict)
        self._ids: dict[str, itertools.count] = {}
        self.seeded = False
        self.outbox: list[dict] = []  # calls the sandbox made (e.g. webhooks), for inspection
        self.in_flight = 0  # requests being answered (a held "timeout" answer included)

    def enter(self) -> None:
        with self.lock:
            self.in_flight += 1

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def collection(self, vendor: str, name: str) -> dict:
        return self._data[(vendor, name)]

    def next_id(self, vendor: str, start: int = 1000) -> int:
        with self.lock:
            counter = self._ids.setdefault(vendor, itertools.count(start))
            return next(counter)

    def put(self, vendor: str, name: str, key, obj: dict) -> dict:
        with self.lock:
            self._data[(vendor, name)][key] = obj
            return obj

    def get(self, vendor: str, name: str, key) -> dict | None:
        with self.lock:
            return self._data[(vendor, name)].get(key)

    def delete(self, vendor: str, name: str, key) -> dict | None:
        with self.lock:
            return self._data[(vendor, name)].pop(key, None)

    def all(self, vendor: str, name: str) -> list[dict]:
        with self.lock:
            return list(self._data[(vendor, name)].values())

    def snapshot(self, vendor: str, name: str) -> dict:
        with self.lock:
            return copy.deepcopy(self._data[(vendor, name)])

    def reset(self) -> None:
        # Seeders register when their vendor module is imported; importing the URLconf
        # imports them all, so a reset never misses one (even before any request).
        import portal.sandbox.urls  # noqa: F401

        with self.lock:
            self._data.clear()
            self._ids.clear()
            self.outbox.clear()
            for seed in SEEDERS:
                seed(self)
            self.seeded = True

    def ensure_seeded(self) -> None:
        if not self.seeded:
            with self.lock:
                if not self.seeded:
                    self.reset()


class FaultMode:
    ERROR = "error"  # answer 500 with the vendor's error shape
    TIMEOUT = "timeout"  # hold the request longer than the client waits, then answer
    SLOW = "slow"  # answer correctly after `delay` seconds
    MALFORMED = "malformed"  # 200 with a body that is not JSON
    UNAVAILABLE = "unavailable"  # 503 with Retry-After
    RESET = "reset"  # drop the TCP connection with a RST, no answer (after=True: once applied)
    MODES = (ERROR, TIMEOUT, SLOW, MALFORMED, UNAVAILABLE, RESET)
    # Faults about the connection, not the answer: a client's read timeout, a dropped socket.
    # A request answered in process (portal/inprocess.py) has neither, so these are refused
    # there, loudly, instead of quietly becoming something else.
    ON_A_SOCKET = (TIMEOUT, SLOW, RESET)


@dataclass
class Fault:
    mode: str
    delay: float = 0.0
    path_contains: str = ""
    after: bool = False  # reset only: let the vendor apply the request, then lose the answer


class Faults:
    """Per-vendor queue: each matching request takes one fault off the queue."""

    def __init__(self):
        self.lock = threading.Lock()
        self._queues: dict[str, deque[Fault]] = defaultdict(deque)
        self.refused: list[str] = []  # socket faults met by in-process requests (see refuse)

    def inject(
        self,
        vendor: str,
        mode: str,
        count: int = 1,
        *,
        delay: float = 0.0,
        path_contains: str = "",
        after: bool = False,
    ) -> None:
        if mode not in FaultMode.MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {FaultMode.MODES}")
        if after and mode != FaultMode.RESET:
            raise ValueError("after applies to the reset mode only")
        with self.lock:
            for _ in range(count):
                self._queues[vendor].append(Fault(mode, delay, path_contains, after))

    def take(self, vendor: str, path: str) -> Fault | None:
        with self.lock:
            queue = self._queues[vendor]
            for i, fault in enumerate(queue):
                if not fault.path_contains or fault.path_contains in path:
                    del queue[i]
                    return fault
        return None

    def refuse(self, fault: Fault, path: str) -> str:
        """Record that `fault` met a request answered in process, and say why it cannot apply."""
        message = (
            f"the sandbox's {fault.mode!r} fault ({path}) needs a socket, but this request "
            "was answered in process: run the test over real HTTP (the live_sandbox mark)"
        )
        with self.lock:
            self.refused.append(message)
        return message

    def pending(self, vendor: str) -> int:
        with self.lock:
            return len(self._queues[vendor])

    def clear(self) -> None:
        with self.lock:
            self._queues.clear()
            self.refused.clear()


STORE = Store()
FAULTS = Faults()
