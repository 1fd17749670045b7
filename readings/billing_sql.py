"""How readings.billing's date rules are said in each database's SQL: the rules themselves
(and their Python twins) stay in readings.billing; these are only their SQL spelling."""

import datetime as dt

from django.db.models import DateField, DateTimeField, Func, Value


class LocalDay(Func):
    """The day of an instant in an IANA zone, in SQL (the patient's today on the PostgreSQL
    roster, today_expression elsewhere). Never a reading's day: that one is stored."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra):
        (i, ip), (z, zp) = (compiler.compile(e) for e in self.source_expressions)
        return f"(({i}) AT TIME ZONE ({z}))::date", [*ip, *zp]


class PeriodStart(Func):
    """period_bounds' first day in SQL."""

    output_field = DateField()

    def __init__(self, episode_start, today, days: int):
        super().__init__(episode_start, today)
        self.days = days

    def as_postgresql(self, compiler, connection, **extra):
        (s, sp), (t, tp) = (compiler.compile(e) for e in self.source_expressions)
        days = int(self.days)
        return (
            f"(({s}) + (GREATEST(({t}) - ({s}), 0) / {days}) * {days})",
            [*sp, *tp, *sp, *sp],
        )

    def as_sqlite(self, compiler, connection, **extra):
        (s, sp), (t, tp) = (compiler.compile(e) for e in self.source_expressions)
        days = int(self.days)
        return (
            f"date({s}, (MAX(CAST(julianday({t}) - julianday({s}) AS INTEGER), 0) "
            f"/ {days} * {days}) || ' days')",
            [*sp, *tp, *sp],
        )


def instant_value(value):
    """An aware datetime as an SQL value; an expression as it is."""
    if isinstance(value, dt.datetime):
        return Value(value, output_field=DateTimeField())
    return value
