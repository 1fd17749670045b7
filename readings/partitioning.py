"""The readings table as declarative monthly range partitions on `measured_at` (docs/SCALE.md,
"PostgreSQL plan"): the conversion a migration runs once the table nears its size limit, proved
on a copy in `make bench` (tests/bench/fig3_partitions.py), never in `make test`.

readings_partition() converts a populated table in one transaction (it holds an ACCESS EXCLUSIVE
lock on the table throughout: a maintenance window, or the same steps batch by batch):
1. a partitioned twin (same columns, defaults, NOT NULL and CHECK constraints), `id` drawn from
   a sequence of its own that starts after the table's largest id;
2. one partition per calendar month (UTC) from the first reading's month to `months_ahead`
   months after the last, and a DEFAULT partition for anything outside;
3. the rows moved (INSERT ... SELECT: a copy; indexes are built after, which is faster);
4. indexes, foreign keys and triggers recreated on the twin (partitioned indexes cascade);
5. names swapped: the twin takes the table's name and its indexes' names; the old table is
   dropped, or kept under `keep_old_as` (the bench keeps it, to measure both).

Unique keys, decided: on a partitioned table every unique index must contain the partition key.
- The primary key becomes (id, measured_at). `id` stays unique because only the sequence hands
  ids out; nothing else writes one.
- `reading_unique_source_record` (organization, source, source_record_id, metric) gains
  measured_at. Dedupe still holds for what it is for — a replay or a concurrent duplicate of one
  version carries the same instant (Validic replays are the same checksum, hence the same
  start_time; Impilo's hub keys hash the body, the instant included) — and the version rule
  (readings.services.records) already finds a record's rows by id, whatever their instant, and
  rewrites them in place under the ledger lock, and bulk's NOT EXISTS probe is by
  (organization, source, source_record_id) without the instant. What the database no longer
  refuses on its own: two *different first versions* of one record (different instants) inserted
  by concurrent transactions. Before relying on the partitioned table in production, the insert
  paths take `pg_advisory_xact_lock(hashtext(source || source_record_id))` (transaction-scoped:
  safe behind PgBouncer in transaction mode) to close that window.
- `reading_impilo_once_per_device_instant` (patient, metric, measured_at, device) already
  contains measured_at: kept as it is.
Foreign keys *to* readings (alert links, version rows) cannot stay: a foreign key needs a unique
key on the referenced columns, and `id` alone is no longer one. They are dropped and listed in
the result; their integrity stays the application's (records_apply deletes a reading's alert
links before the reading; readings are never deleted otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TABLE = "readings_reading"
PARTITION_KEY = "measured_at"


@dataclass
class Converted:
    partitions: int = 0
    rows: int = 0
    dropped_foreign_keys: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _unique_with_partition_key(indexdef: str) -> str:
    """A unique index definition with measured_at added to its columns when it lacks it."""
    if " UNIQUE " not in indexdef or PARTITION_KEY in indexdef:
        return indexdef
    return re.sub(r"\(([^()]*)\)", lambda m: f"({m.group(1)}, {PARTITION_KEY})", indexdef, count=1)


def readings_partition(
    cursor, *, table: str = TABLE, keep_old_as: str | None = None, months_ahead: int = 2
) -> Converted:
    """Convert `table` (PostgreSQL) to monthly range partitions on measured_at, in the caller's
    transaction. `cursor` is a DB-API cursor (Django's or psycopg's)."""
    out = Converted()
    twin = f"{table}_partitioned"

    def run(sql: str, params=None) -> None:
        out.statements.append(sql)
        cursor.execute(sql, params)

    run(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
    # What to recreate, read before anything changes.
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND schemaname = "
        "current_schema()",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    outgoing = cursor.fetchall()
    cursor.execute(
        "SELECT conname, conrelid::regclass::text FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    incoming = cursor.fetchall()
    cursor.execute(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
        [table],
    )
    triggers = cursor.fetchall()
    cursor.execute(
        f"SELECT date_trunc('month', min({PARTITION_KEY}) AT TIME ZONE 'UTC'), "  # noqa: S608
        f"date_trunc('month', max({PARTITION_KEY}) AT TIME ZONE 'UTC'), "
        f"COALESCE(max(id), 0) FROM {_q(table)}"
    )
    first, last, max_id = cursor.fetchone()

    # 1. The twin, with its own id sequence.
    run(f"DROP TABLE IF EXISTS {_q(twin)} CASCADE")
    run(
        f"CREATE TABLE {_q(twin)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        f"PARTITION BY RANGE ({PARTITION_KEY})"
    )
    sequence = f"{table}_id_seq_p"
    run(f"DROP SEQUENCE IF EXISTS {_q(sequence)}")
    run(f"CREATE SEQUENCE {_q(sequence)} START WITH {int(max_id) + 1}")
    run(f"ALTER TABLE {_q(twin)} ALTER COLUMN id SET DEFAULT nextval('{sequence}')")
    run(f"ALTER SEQUENCE {_q(sequence)} OWNED BY {_q(twin)}.id")

    # 2. One partition a month, and a default one.
    if first is not None:
        cursor.execute(
            "SELECT to_char(m, 'YYYY_MM'), m, m + interval '1 month' FROM generate_series("
            "%s::timestamp, %s::timestamp + make_interval(months => %s), interval '1 month') m",
            [first, last, months_ahead],
        )
        for suffix, start, end in cursor.fetchall():
            run(
                f"CREATE TABLE {_q(f'{table}_{suffix}')} PARTITION OF {_q(twin)} "
                f"FOR VALUES FROM ('{start.isoformat()}+00:00') TO ('{end.isoformat()}+00:00')"
            )
            out.partitions += 1
    run(f"CREATE TABLE {_q(f'{table}_default')} PARTITION OF {_q(twin)} DEFAULT")

    # 3. The rows (a copy: the old table is untouched until the swap).
    run(f"INSERT INTO {_q(twin)} SELECT * FROM {_q(table)}")  # noqa: S608
    out.rows = cursor.rowcount

    # 4. Keys, indexes, foreign keys, triggers.
    run(f"ALTER TABLE {_q(twin)} ADD PRIMARY KEY (id, {PARTITION_KEY})")
    renames = []
    for name, definition in indexes:
        if name.endswith("_pkey"):
            continue
        temporary = f"{name[:60]}_p"
        definition = _unique_with_partition_key(definition)
        definition = definition.replace(f"INDEX {name} ON", f"INDEX {_q(temporary)} ON", 1)
        definition = re.sub(
            rf"ON (ONLY )?(\w+\.)?{re.escape(table)} ", f"ON {_q(twin)} ", definition, count=1
        )
        run(definition)
        renames.append((temporary, name))
    for name, definition in outgoing:
        run(f"ALTER TABLE {_q(twin)} ADD CONSTRAINT {_q(name + '_p')} {definition}")
    for name, referrer in incoming:
        out.dropped_foreign_keys.append(f"{referrer}.{name}")
        if not keep_old_as:  # kept, they go on pointing at the old table, which stays
            run(f"ALTER TABLE {referrer} DROP CONSTRAINT {_q(name)}")
    for _name, definition in triggers:
        run(re.sub(rf" ON (\w+\.)?{re.escape(table)} ", f" ON {_q(twin)} ", definition, count=1))

    # 5. The swap.
    if keep_old_as:
        run(f"ALTER TABLE {_q(table)} RENAME TO {_q(keep_old_as)}")
        for _temporary, name in renames:
            run(f"ALTER INDEX {_q(name)} RENAME TO {_q(f'{name[:60]}_o')}")
    else:
        run(f"DROP TABLE {_q(table)}")
    run(f"ALTER TABLE {_q(twin)} RENAME TO {_q(table)}")
    for temporary, name in renames:
        run(f"ALTER INDEX {_q(temporary)} RENAME TO {_q(name)}")
    run(f"ANALYZE {_q(table)}")
    return out


def readings_unpartition(cursor, *, table: str = TABLE, old: str) -> None:
    """Undo readings_partition(keep_old_as=old): the plain table takes its name back (the bench
    measures both, then leaves the database as it found it)."""
    cursor.execute(f"DROP TABLE {_q(table)} CASCADE")
    cursor.execute(f"ALTER TABLE {_q(old)} RENAME TO {_q(table)}")
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s",
        [table, "%\\_o"],
    )
    for (name,) in cursor.fetchall():
        cursor.execute(f"ALTER INDEX {_q(name)} RENAME TO {_q(name[:-2])}")
