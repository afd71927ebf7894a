"""This project's migrations (``alembic/``), through the framework's ``heavy.Migrations``.

``alembic/env.py``, the dev scripts, the app and the tests use the names below; the work is the
framework's (alembic as a Python API, on the caller's engine and event loop).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import heavy
from heavy import Migrations, is_unavailable

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

logger = logging.getLogger(__name__)

NO_CHANGES_MESSAGE = Migrations.NO_CHANGES_MESSAGE

# The vector database's tables are left out (they are created at start-up, not migrated); they
# share a database with the SQL tables when no separate vector URL is configured. The task
# queue's tables are made by a revision (the library's SQL), not from models.
MIGRATIONS = Migrations(
    PROJECT_ROOT / "alembic.ini",
    HeavyModel.metadata,
    unmigrated=VectorModel.metadata,
    unmodelled=heavy.TASK_QUEUE_TABLES,
)

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
    """The URL migrations run on: ``explicit``, else ``HEAVY_STACK_SQL_DIRECT_URL`` (past a
    transaction pooler) or ``HEAVY_STACK_SQL_DB_URL``, else the embedded PostgreSQL's (started
    for the duration of the block)."""
    async with heavy.configured_database_url(Settings, explicit) as url:
        yield url


async def check_schema(settings: Settings, sql_url: str) -> None:
    """At a server's start: our embedded database is brought to the migrations' head; a
    configured one is only checked (``make migrate`` changes it), where the scripts are.

    Exits (code 2, one ERROR line) when the schema is one the code cannot use. A configured
    database that cannot be reached is a WARNING: the app serves on, ``/readyz`` says it is down.
    """
    if not settings.uses_embedded_db and not scripts_available():
        return
    engine = migration_engine(sql_url)
    try:
        if settings.uses_embedded_db:
            logger.info("%s", await bring_to_head(engine))
        elif (state := await schema_state(engine)) is not None:
            logger.warning("%s", state)
    except SchemaStateError as error:
        logger.error("Cannot start: %s", error)
        raise SystemExit(2) from None
    except Exception as error:
        if settings.uses_embedded_db:
            raise
        reason = "it is unavailable" if is_unavailable(error) else f"{type(error).__name__}: {error}"
        logger.warning("Could not check the database's schema: %s", reason)
    finally:
        await engine.dispose()
