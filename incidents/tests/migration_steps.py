"""Migration tests: move the test database to a point in the migration history, and back to
the latest state afterwards (`old_schema_at`)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets`; the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def old_schema_at(targets):
    """A fixture: the historical apps at `targets`, the database put back to the latest state
    afterwards."""

    @pytest.fixture
    def old_schema():
        apps = migrate(targets)
        yield apps
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    return old_schema
