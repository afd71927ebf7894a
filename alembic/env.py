"""Alembic's environment: runs the migrations on an async engine.

Which database, first match wins:

1. a connection handed over in ``config.attributes["connection"]`` (what
   ``heavy_stack.backend.data.migrations`` does for the dev scripts and the tests);
2. ``alembic -x url=postgresql://...``;
3. ``HEAVY_STACK_SQL_DB_URL`` (environment or ``.env``);
4. the embedded PostgreSQL under ``.data/``, started for the duration of the command.

The comparison and rendering options live in ``migrations.environment_options()`` so that
autogenerate and the models-vs-migrations test judge the schema the same way.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from heavy_stack.backend.data import migrations
from heavy_stack.settings import Settings


def _explicit_url() -> str | None:
    return context.get_x_argument(as_dictionary=True).get("url")


def run_offline() -> None:
    """``alembic upgrade head --sql``: print the SQL instead of running it."""
    url = _explicit_url() or Settings().direct_sql_url
    context.configure(
        url=url,
        # Without any URL, PostgreSQL's SQL is the useful default.
        dialect_name=None if url else "postgresql",
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **migrations.environment_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    """Run the migrations on an open (sync-facing) connection."""
    context.configure(connection=connection, **migrations.environment_options())
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    """Resolve the database, open one async connection and migrate over it."""
    async with migrations.configured_database_url(_explicit_url()) as url:
        engine = migrations.migration_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run_on)
        finally:
            await engine.dispose()


def main() -> None:
    """Run the command alembic was asked for, on the database chosen as the docstring says."""
    config = context.config
    handed_over: Connection | None = config.attributes.get("connection")
    # Callers that hand over a connection keep their own logging set-up.
    if handed_over is None and config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        run_offline()
    elif handed_over is not None:
        run_on(handed_over)
    else:
        asyncio.run(run_online())


# Alembic executes this file to run a command: doing the work here is its contract.
main()
