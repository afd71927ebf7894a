"""This project's migrations (``alembic/``), through the framework's ``heavy.Migrations``.

``alembic/env.py``, the dev scripts, the app and the tests use the names below; the work is the
framework's (alembic as a Python API, on the caller's engine and event loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import heavy
from heavy import Migrations

# Re-exported (`as`): the framework's functions the project's scripts and tests call from here.
from heavy import SchemaStateError as SchemaStateError
from heavy import current_revision as current_revision
from heavy import drop_database as drop_database
from heavy import migration_engine as migration_engine
from heavy import recreate_database as recreate_database
from heavy import release_prepared_databases as release_prepared_databases

# Importing the package (not just the base) registers every table on the metadata.
from heavy_stack.backend.data.sql_models import HeavyModel
from heavy_stack.backend.data.vector_models import VectorModel
from heavy_stack.settings import PROJECT_ROOT, Settings

NO_CHANGES_MESSAGE = Migrations.NO_CHANGES_MESSAGE

# The vector database's tables are left out (they are created at start-up, not migrated); they
# share a database with the SQL tables when no separate vector URL is configured.
MIGRATIONS = Migrations(PROJECT_ROOT / "alembic.ini", HeavyModel.metadata, unmigrated=VectorModel.metadata)

alembic_config = MIGRATIONS.config
environment_options = MIGRATIONS.environment_options
scripts_available = MIGRATIONS.scripts_available
revision_steps = MIGRATIONS.revision_steps
head_revision = MIGRATIONS.head_revision
upgrade = MIGRATIONS.upgrade
downgrade = MIGRATIONS.downgrade
autogenerate = MIGRATIONS.autogenerate
stamp_head = MIGRATIONS.stamp_head
model_changes = MIGRATIONS.model_changes
stairway = MIGRATIONS.stairway
bring_to_head = MIGRATIONS.bring_to_head
schema_state = MIGRATIONS.schema_state
prepare_embedded_database = MIGRATIONS.prepare_embedded_database


@asynccontextmanager
async def configured_database_url(explicit: str | None = None) -> AsyncIterator[str]:
    """The URL migrations run on: ``explicit``, else ``HEAVY_STACK_SQL_DB_URL``, else the
    embedded PostgreSQL's (started for the duration of the block)."""
    async with heavy.configured_database_url(Settings, explicit) as url:
        yield url
