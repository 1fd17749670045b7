"""The database every test process starts from (tests/template_db.py): every migration of every
app applied. bin/run-tests builds it first (this module with --setup-only, while the workers
import and collect), so a stale or half-made template would show here."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db
def test_every_migration_is_applied_to_the_test_database():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
