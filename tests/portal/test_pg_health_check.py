"""portal.pg_backend: the per-request health check sends nothing while the connection is idle
and quiet, and still finds a connection the server has closed (a restart, a terminated
backend) before the request's first query fails on it."""

import psycopg
import pytest
from django.db import close_old_connections, connection, connections

from tests.conftest import wait_for

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend")


def _request_starts():
    close_old_connections()  # what request_started runs: the check is due again


@pytest.mark.django_db(transaction=True)
def test_an_idle_quiet_connection_is_used_without_a_round_trip(monkeypatch):
    # A connection of its own: the worker's may be older than CONN_MAX_AGE (60 s) by now on a
    # loaded machine, and then the request start closes it for its age (a make-test run did).
    connection.close()
    connection.ensure_connection()
    raw = connection.connection
    sent = []
    backend = type(connections["default"])
    monkeypatch.setattr(backend, "is_usable", lambda self: sent.append(1) or True)
    _request_starts()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.connection is raw
    assert sent == []


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_closed_is_replaced_before_the_first_query():
    connection.ensure_connection()
    raw = connection.connection
    pid = raw.info.backend_pid
    params = raw.info.get_parameters()
    dsn = " ".join(f"{k}={v}" for k, v in params.items() if k in ("host", "port", "dbname", "user"))
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_for(lambda: not connection._idle_and_quiet(), message="the server closed it")
    _request_starts()
    with connection.cursor() as cursor:  # no error: the check replaced the connection
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection is not raw
