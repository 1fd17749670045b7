"""Rows made once for a whole test module, for modules whose tests each need the same costly
world (the route walker's, the admin walk's, a loaded demo) and only read it or write what a
rollback undoes.

`module_transaction` opens a transaction for the module (marked as a test case's own, as
Django marks the one it wraps a test in); the module's fixture `module_world` makes its rows
inside it; each test, with pytest-django's `db`, runs in a savepoint of it and rolls back to
it, so no test sees another's writes; at the end of the module everything is rolled back. Not
for transactional tests (a live server, a Celery worker): they need committed rows, and a flush
would empty the module's."""

import contextlib

import pytest
from django.db import transaction


@contextlib.contextmanager
def module_transaction(django_db_blocker):
    wrapping = transaction.atomic()
    wrapping._from_testcase = True  # see tests/devices/conftest.py's in_transaction()
    with django_db_blocker.unblock(), wrapping:
        yield
        transaction.set_rollback(True)


def member_fixtures(names) -> dict:
    """Function-scoped fixtures `names`, each returning that entry of the module's fixture
    `module_world` (a dict) with the database open: `globals().update(member_fixtures(...))` in
    the module overrides the conftest's fixtures of the same names (org, alice, ...).
    `module_world` is named in each one's arguments, so pytest sets it up before the test's
    own transaction (asked for later, inside that transaction, the test's rollback would take
    the module's rows with it)."""

    def member(name):
        @pytest.fixture(name=name)
        def fixture(module_world, db):
            return module_world[name]

        return fixture

    return {f"_module_world_{name}": member(name) for name in names}
