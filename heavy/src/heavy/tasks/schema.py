"""The task queue's tables: pgqueuer's own and heavy's progress table.

A product creates them in one of its alembic revisions (``create_task_queue``), so they come
and go with the product's other tables, on the embedded database at first run as on a deployed
one. Autogenerate and the models-vs-migrations check leave them alone (``TASK_QUEUE_TABLES``:
``heavy.Migrations`` skips them), since no model of the product describes them.

pgqueuer's schema is the library's own (``Queries.install``), at the version the lock file
pins: a pgqueuer upgrade that changes it gets a revision of the product calling
``upgrade_task_queue``.
"""

from __future__ import annotations

from typing import Any

from pgqueuer.db import AsyncpgDriver
from pgqueuer.queries import Queries
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, Table, Text, func
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

TASK_METADATA = MetaData()

# One row per queued run of a task: where it is, what it last said. Kept after the run ends, so
# a page shows the outcome again after a reload or a restart.
TASK_PROGRESS = Table(
    "heavy_task_progress",
    TASK_METADATA,
    Column("job_id", BigInteger, primary_key=True, autoincrement=False),
    Column("task", Text, nullable=False),
    # Whose run it is (a user id, as text): the pages show and cancel only their owner's.
    Column("owner", Text, nullable=False),
    # queued, running, retrying, done, failed, cancelled (``TaskState``)
    Column("state", Text, nullable=False),
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=True),
    Column("message", Text, nullable=False, server_default=""),
    Column("error", Text, nullable=True),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("created", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("heavy_task_progress_owner", "task", "owner", "job_id"),
)

# What the revisions create besides the product's models (skipped by the schema comparison).
TASK_QUEUE_TABLES = frozenset(
    {"pgqueuer", "pgqueuer_log", "pgqueuer_schedules", "pgqueuer_statistics", TASK_PROGRESS.name}
)


def create_task_queue(connection: Connection) -> None:
    """Create pgqueuer's schema and heavy's progress table (in a revision: ``op.get_bind()``)."""
    _run(connection, lambda queries: queries.install())
    TASK_METADATA.create_all(connection)


def drop_task_queue(connection: Connection) -> None:
    """Drop what ``create_task_queue`` made, and the runs they held."""
    TASK_METADATA.drop_all(connection)
    _run(connection, lambda queries: queries.uninstall())


def upgrade_task_queue(connection: Connection) -> None:
    """Bring pgqueuer's schema to the installed version's (after upgrading pgqueuer)."""
    _run(connection, lambda queries: queries.upgrade())


def _run(connection: Connection, step: Any) -> None:
    # The library's DDL is several statements with function bodies: asyncpg runs such a script
    # in one simple query, on the migration's own connection (inside its transaction). Alembic
    # runs revisions in SQLAlchemy's greenlet, where the adapter's awaits are made the same way.
    connection.exec_driver_sql("SELECT 1")  # the transaction has begun before the raw use
    driver = connection.connection.driver_connection
    await_only(step(Queries(AsyncpgDriver(driver))))
