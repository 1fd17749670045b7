"""One migrated PostgreSQL database per make-test run, copied for every test process.

Each pytest-xdist worker (and the exclusive-services pass after them) needs its own test
database. Migrating each one took 23-26 s of the first test's time on every worker, three
migrations competing for two cores. Here the first process to arrive migrates its database
as usual and copies it to a template; every other process waits for that, then Django creates
its database `WITH TEMPLATE` (its documented TEST["TEMPLATE"] setting), a file copy, and the
`migrate` that follows finds nothing to apply.

Only on bin/with-services' throwaway cluster (SERVICES_DIR is set): the template is never
dropped, which is right for a cluster deleted after the run and wrong for a developer's own
server. The template's name carries a hash of every migration file and Django's version, so a
changed migration never meets a stale template."""

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]


def wanted(connection) -> bool:
    return bool(os.environ.get("SERVICES_DIR")) and connection.vendor == "postgresql"


def template_name() -> str:
    digest = hashlib.sha256(django.__version__.encode())
    for app in ("portal", "devices", "readings", "appointments"):
        for path in sorted((ROOT / app).glob("**/migrations/*.py")):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return f"test_template_{digest.hexdigest()[:12]}"


class Lock:
    """One process at a time, across every worker of every pass on this cluster. Held from
    before a process's test database is created until it exists (and, for the first process,
    until the template does); a process that dies lets go with its file."""

    def __init__(self, settings_dict):
        key = f"{settings_dict['HOST']}-{settings_dict['PORT']}"
        self.path = Path(tempfile.gettempdir()) / f"vitals-test-template-{key}.lock"
        self.handle = None

    def acquire(self) -> None:
        self.handle = self.path.open("a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def exists(connection, name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def save(connection, name: str) -> None:
    """Copy the freshly migrated test database (this connection's) to the template `name`."""
    source = connection.settings_dict["NAME"]
    connection.close()  # CREATE DATABASE ... TEMPLATE needs the source without connections
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quote(name)} WITH TEMPLATE {quote(source)}")
