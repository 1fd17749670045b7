"""One migrated test database per make-test run, copied for every test process.

Each pytest-xdist worker (and the exclusive-services pass after them) needs its own test
database. Migrating each one took 23-30 s of the first test's time on every worker, three
migrations competing for two cores, in both passes. Here the first process to arrive migrates
its database as usual and saves a copy as the template; every other process waits for that,
then starts from the copy, and the `migrate` that follows finds nothing to apply:
- PostgreSQL: Django creates the database `WITH TEMPLATE` (its documented TEST["TEMPLATE"]);
- SQLite (the second pass; its test databases are files, see portal/settings.py): the file is
  copied with SQLite's backup API and Django keeps it (keepdb) instead of creating it.

Only under bin/with-services (SERVICES_DIR is set): the template is never dropped, which is
right for a cluster and a directory deleted after the run and wrong for a developer's own
server. The template's name carries a hash of every migration file and Django's version, so a
changed migration never meets a stale template."""

import contextlib
import dataclasses
import fcntl
import hashlib
import os
import sqlite3
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[1]


def wanted(connection) -> bool:
    if not os.environ.get("SERVICES_DIR"):
        return False
    if connection.vendor == "sqlite":
        return not connection.creation.is_in_memory_db(connection.creation._get_test_db_name())
    return connection.vendor == "postgresql"


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

    def __init__(self, connection, name):
        # Beside the template: deleted with it when bin/with-services ends.
        if connection.vendor == "sqlite":
            self.path = _sqlite_template(connection, name).with_suffix(".lock")
        else:
            self.path = Path(os.environ["SERVICES_DIR"]) / f"{name}.lock"
        self.handle = None

    def acquire(self) -> None:
        self.handle = self.path.open("a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def start_from(connection, name: str) -> bool:
    """If the template `name` exists, arrange for this process's test database to be a copy
    of it and say so (SQLite's copy must then be kept: keepdb); else False."""
    if connection.vendor == "sqlite":
        template = _sqlite_template(connection, name)
        if not template.exists():
            return False
        _sqlite_copy(template, Path(connection.creation._get_test_db_name()))
        return True
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            return False
    connection.settings_dict["TEST"]["TEMPLATE"] = name
    return True


def save(connection, name: str) -> None:
    """Copy the freshly migrated test database (this connection's) to the template `name`."""
    source = connection.settings_dict["NAME"]
    connection.close()  # PostgreSQL copies a database only without connections to it
    if connection.vendor == "sqlite":
        _sqlite_copy(Path(source), _sqlite_template(connection, name))
        return
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quote(name)} WITH TEMPLATE {quote(source)}")


def _sqlite_template(connection, name: str) -> Path:
    return Path(connection.creation._get_test_db_name()).parent / f"{name}.sqlite3"


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database in WAL mode (a plain file copy could miss what
    is still in the -wal file)."""
    target.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)


@dataclasses.dataclass
class Claim:
    """What this process does about the template: `copied` it, or migrates and saves `name`;
    `lock` is held until then."""

    name: str
    lock: Lock
    copied: bool
