"""Hand-written SQL for the API's hot paths (issue 19): no ORM compile step, and on PostgreSQL
a server-binding cursor, so psycopg prepares a statement on the server once it has run
`prepare_threshold` times on a connection (DATABASES OPTIONS, portal/settings.py). The ORM keeps
Django's client-binding cursors, whose behaviour nothing here changes.

The cursor is Django's wrapper around it: execute wrappers, query logging and counting
(`django_assert_num_queries`), and database-error translation work as for any other query."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


@contextmanager
def cursor():
    """A cursor on the default connection; on PostgreSQL one that binds on the server."""
    if connection.vendor != "postgresql":
        with connection.cursor() as plain:
            yield plain
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        wrapped = connection._prepare_cursor(ServerBindingCursor(connection.connection))
    with wrapped:
        yield wrapped


class Columns:
    """Every concrete column of `model` under a table alias, and the instances built from a
    row that selected them (through the fields' from_db_value converters, as the ORM does)."""

    def __init__(self, model, alias: str):
        self.model = model
        fields = model._meta.concrete_fields
        quote = connection.ops.quote_name
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
        self.names = [f.attname for f in fields]
        self.width = len(fields)
        self._fields = fields
        self._converters: list | None = None

    def build(self, row, offset: int = 0):
        if self._converters is None:  # needs the connection's features: built on first use
            found = []
            for index, field in enumerate(self._fields):
                column = field.cached_col
                converters = connection.ops.get_db_converters(column)
                converters += column.get_db_converters(connection)
                if converters:
                    found.append((index, column, converters))
            self._converters = found
        values = list(row[offset : offset + self.width])
        for index, column, converters in self._converters:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(connection.alias, self.names, values)
