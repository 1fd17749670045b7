"""`pytest --fake-now=INSTANT`: the whole test session as if it started at INSTANT, to find
and repeat tests that depend on when they run (just after local midnight, a month's end, a
DST day). time-machine moves this process's clock at the C level (the live server's threads
too) and keeps it ticking; the same offset is given to PostgreSQL's now() in the test
database and to a Celery worker started by the tests (`python -m tests.fake_now celery ...`).
Chromium keeps the real clock (pages' own JavaScript timers only). A conftest.py named on the
command line (`pytest tests/care`) is imported before the travel starts: keep clock reads out
of conftest modules' top level (fixtures read the clock when they run)."""

import datetime as dt
import os
import runpy
import sys
import threading

import time_machine

# Seconds from the real clock to the fake one, for the processes the tests start.
OFFSET_ENV = "VITALS_TEST_FAKE_NOW_OFFSET"


def parse(value: str) -> dt.datetime:
    instant = dt.datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError("needs an offset (Z or ±HH:MM)")
    return instant


def start(instant: dt.datetime) -> time_machine.travel:
    """Travel to `instant` (ticking) for this process; returns the traveller to stop."""
    offset = (instant - dt.datetime.now(tz=dt.UTC)).total_seconds()
    traveller = time_machine.travel(instant, tick=True)
    traveller.start()
    os.environ[OFFSET_ENV] = f"{offset:.6f}"
    _move_database_now(offset)
    return traveller


def python_module(name: str) -> list[str]:
    """The arguments after `python -m` that run module `name` on this session's clock."""
    return [__name__, name] if os.environ.get(OFFSET_ENV) else [name]


def _move_database_now(offset_seconds: float) -> None:
    """PostgreSQL's now() (the roster state's triggers use it) is the server's clock. Each
    connection to the test database gets a public.now() that adds the offset, found before
    pg_catalog's because the search path names pg_catalog last (also set on the database, for
    a worker's or a restarted server's sessions). CURRENT_DATE and CURRENT_TIMESTAMP are
    keywords, not functions, and do not move: no product SQL uses them."""
    from django.db.backends.signals import connection_created

    lock = threading.Lock()
    created = set()

    def on_connection(sender, connection, **kwargs):
        name = connection.settings_dict.get("NAME") or ""
        if connection.vendor != "postgresql" or not name.startswith("test_"):
            return
        with connection.cursor() as cursor, lock:
            if name not in created:
                cursor.execute(
                    "CREATE OR REPLACE FUNCTION public.now() RETURNS timestamptz "
                    "LANGUAGE sql STABLE AS "
                    f"$$ SELECT pg_catalog.now() + interval '{offset_seconds:.6f} seconds' $$"
                )
                cursor.execute(
                    f'ALTER DATABASE "{name}" SET search_path = "$user", public, pg_catalog'
                )
                created.add(name)
            cursor.execute('SET search_path = "$user", public, pg_catalog')

    connection_created.connect(on_connection, weak=False)


if __name__ == "__main__":
    # python -m tests.fake_now MODULE ARGS...: run MODULE as `python -m MODULE ARGS...` with
    # the clock moved by the session's offset.
    offset = dt.timedelta(seconds=float(os.environ[OFFSET_ENV]))
    time_machine.travel(dt.datetime.now(tz=dt.UTC) + offset, tick=True).start()
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
