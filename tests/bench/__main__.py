"""python -m tests.bench [figure numbers…] — run inside bin/with-services (make bench).

Creates a fresh `vitals_bench` database on the PostgreSQL that DATABASE_URL points at,
migrates it, runs each figure and prints one line per figure: what was measured, the ratio
against the baseline measured in the same run, the goal, PASS or FAIL. Exit code 0 even when a
goal is not met (this is a report); non-zero only when a figure could not be measured.
"""

from __future__ import annotations

import os
import platform
import secrets
import sys
import time
import traceback
from datetime import UTC, datetime


def _environment() -> None:
    """Production settings (DEBUG off, no sandbox) served over plain HTTP on 127.0.0.1, with
    the API throttle lifted: one key sending thousands of requests a second is the point."""
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("bench: DATABASE_URL must point at PostgreSQL (run it through bin/with-services)")
    os.environ["BENCH_ADMIN_DATABASE_URL"] = base_url
    os.environ["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/vitals_bench"
    defaults = {
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DEBUG": "0",
        "PORTAL_SANDBOX": "0",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "API_RATE_LIMIT": "100000000/min",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # As production deploys it (README, deployment): figure 6b's worker serves this queue.
        "CELERY_QUEUE_NOTIFICATIONS": "notifications",
        "LOG_LEVEL": "WARNING",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("FIELD_ENCRYPTION_KEY", _fernet_key(os.environ["SECRET_KEY"]))


def _fernet_key(secret: str) -> str:
    import base64
    import hashlib

    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()


def _fresh_database() -> None:
    """An empty database; or, when BENCH_TEMPLATE_DATABASE names one already migrated (make
    test's bench smoke test hands over its run's template: migrating was 80 % of that test),
    a copy of it, which the `migrate` below finds up to date."""
    import psycopg
    from psycopg import sql

    create = sql.SQL("CREATE DATABASE vitals_bench")
    template = os.environ.get("BENCH_TEMPLATE_DATABASE")
    if template:
        create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(template))
    with psycopg.connect(os.environ["BENCH_ADMIN_DATABASE_URL"], autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS vitals_bench WITH (FORCE)")
        admin.execute(create)


# Free disk `make bench` needs at BENCH_SCALE=1, where PostgreSQL keeps its data: figure 3's
# 10M readings (~370 bytes each with indexes, 3.7 GB), their partitioned copy (as much again),
# the WAL both write, and figure 1's million rows: 12 GiB asked (BENCH_DISK_GIB overrides).
DISK_NEEDED_GIB = float(os.environ.get("BENCH_DISK_GIB", "12"))


def _disk_check(wanted: set[int]) -> None:
    """Exit with a clear message, before anything is generated, when the disk holding
    PostgreSQL's data is short of what the chosen figures need."""
    import shutil

    import psycopg

    from tests.bench import common

    if wanted and not wanted & {1, 3}:
        return  # the other figures write little
    with psycopg.connect(os.environ["BENCH_ADMIN_DATABASE_URL"], autocommit=True) as admin:
        directory = admin.execute("SHOW data_directory").fetchone()[0]
    try:
        free = shutil.disk_usage(directory).free / 2**30
    except OSError:  # a server on another machine: its disk is not ours to measure
        return
    needed = DISK_NEEDED_GIB * max(common.scale(), 0.01)
    if free < needed:
        sys.exit(
            f"bench: {free:.1f} GiB free where PostgreSQL keeps its data ({directory}); "
            f"BENCH_SCALE={common.scale():g} needs about {needed:.1f} GiB. Free some space or "
            "run a smaller BENCH_SCALE."
        )


def _machine() -> str:
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            kb = int(handle.readline().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{os.cpu_count()} cores{memory}, {platform.platform()}, Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    _environment()
    _disk_check({int(a) for a in argv if a.isdigit()})
    _fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tests.bench import (
        common,
        fig1_ingest,
        fig2_request,
        fig3_chart,
        fig4_roster,
        fig5_webhook,
        fig7_patient_page,
        load_mixed,
    )

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW fsync")
        fsync = cursor.fetchone()[0]
        cursor.execute("SHOW synchronous_commit")
        sync_commit = cursor.fetchone()[0]
    started = time.monotonic()
    print(
        f"make bench · {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC · {_machine()} · "
        f"PostgreSQL {pg_version} (fsync={fsync}, synchronous_commit={sync_commit}) · "
        f"BENCH_SCALE={common.scale():g}",
        flush=True,
    )
    wanted = {int(a) for a in argv if a.isdigit()}
    cast = common.cast_create(patients=common.scaled(1000, 50))
    figures = [
        (1, lambda: fig1_ingest.run(cast)),
        (2, lambda: fig2_request.run(cast)),
        (3, lambda: fig3_chart.run(cast)),
        (4, fig4_roster.run),
        (5, lambda: fig5_webhook.run(cast)),
        (6, lambda: load_mixed.run(cast)),
        (7, fig7_patient_page.run),
    ]
    failed = False
    for number, run in figures:
        if wanted and number not in wanted:
            continue
        t0 = time.monotonic()
        try:
            figure = run()
        except Exception:
            failed = True
            print(f"[{number}] ERROR: the figure could not be measured", flush=True)
            traceback.print_exc()
            continue
        for one in figure if isinstance(figure, list) else [figure]:  # 6 also measures 6b
            print(one.line(), flush=True)
            for note in one.notes:
                print(f"    note: {note}", flush=True)
        print(f"    ({time.monotonic() - t0:.0f} s)", flush=True)
    print(f"make bench: done in {time.monotonic() - started:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
