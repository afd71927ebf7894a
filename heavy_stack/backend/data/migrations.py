"""Alembic migrations as a Python API, shared by ``alembic/env.py``, the dev scripts and the tests.

Every function that touches a database takes an ``AsyncEngine`` and hands alembic one of its
connections (``config.attributes["connection"]``), so migrations run on the caller's event loop
and on whichever database the caller chose, a scratch one included.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from heavy import async_url
from sqlalchemy import MetaData, text
from sqlalchemy import inspect as sqlalchemy_inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.sql.sqltypes import AutoString

from heavy_stack.backend.data.embedded_postgres import EmbeddedPostgres, database_url

# Importing the package (not just the base) registers every table on the metadata.
from heavy_stack.backend.data.sql_models import HeavyModel
from heavy_stack.backend.data.vector_models import VectorModel
from heavy_stack.settings import PROJECT_ROOT, Settings

logger = logging.getLogger(__name__)

MIGRATION_CONNECT_TIMEOUT_SECONDS = 10

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
NO_CHANGES_MESSAGE = "No model changes: nothing to migrate (no revision file written)."


def skip_vector_tables(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the vector database's tables out (they are not migrated; see ``vector_models``).

    They share a database with the SQL tables when no separate vector URL is configured.
    """
    return not (type_ == "table" and name in VectorModel.metadata.tables)


# Options for autogenerate and for the models-vs-migrations check: one source, so they agree.
COMPARE_OPTIONS: dict[str, Any] = {"compare_type": True, "include_name": skip_vector_tables}

_SAFE_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

ResultT = TypeVar("ResultT")


def target_metadata() -> MetaData:
    """The metadata migrations describe: every ``HeavyModel`` table."""
    return HeavyModel.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    """The project's ``alembic.ini``, usable from any working directory.

    With ``connection``, ``env.py`` runs the migrations on it instead of opening its own.
    """
    # The ini names its folder relative to itself (%(here)s): any working directory will do.
    config = Config(str(ALEMBIC_INI))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def environment_options() -> dict[str, Any]:
    """What ``env.py`` passes to ``context.configure`` besides the connection or URL."""
    return {
        "target_metadata": target_metadata(),
        "render_item": render_item,
        **COMPARE_OPTIONS,
    }


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write SQLModel's ``AutoString`` as ``sa.String``: revisions then need only SQLAlchemy."""
    if type_ == "type" and isinstance(obj, AutoString):
        length = obj.length  # TypeDecorator passes attribute reads through to String
        return "sa.String()" if length is None else f"sa.String(length={length})"
    return False  # alembic's default rendering


def skip_empty_revision(context: MigrationContext, revision: Any, directives: list[MigrationScript]) -> None:
    """Write no file when autogenerate found nothing (``autogenerate`` below passes this).

    Only the Python API uses it: ``alembic revision --autogenerate`` keeps alembic's own
    behaviour, and ``alembic check`` needs the directives it inspects.
    """
    script = directives[0]
    if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
        directives[:] = []
        logger.warning(NO_CHANGES_MESSAGE)


@dataclass(frozen=True)
class Step:
    """One revision and the one it follows (``"base"`` for the first)."""

    revision: str
    previous: str


def revision_steps() -> list[Step]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory.from_config(alembic_config())
    steps = [
        Step(script.revision, _single_parent(script.down_revision)) for script in scripts.walk_revisions()
    ]
    return steps[::-1]  # walk_revisions goes from head down to base


def _single_parent(down_revision: str | Sequence[str] | None) -> str:
    if down_revision is None:
        return "base"
    if not isinstance(down_revision, str):
        # A merge revision: downgrading it one step lands on its parents.
        return "-1"
    return down_revision


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """``alembic upgrade REVISION`` on the engine's database."""
    await _run_command(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """``alembic downgrade REVISION`` (``"base"``, ``"-1"`` or an id) on the engine's database."""
    await _run_command(engine, command.downgrade, revision)


async def autogenerate(engine: AsyncEngine, message: str) -> Path | None:
    """Write a revision for what the models have and the database lacks; ``None`` if nothing."""
    result = await _run_command(
        engine,
        command.revision,
        message=message,
        autogenerate=True,
        process_revision_directives=skip_empty_revision,
    )
    scripts = result if isinstance(result, list) else [result]
    written = [script for script in scripts if script is not None]
    return Path(written[0].path) if written else None


async def stamp_head(engine: AsyncEngine) -> None:
    """Record the database as at head without running anything (its tables match the models)."""
    await _run_command(engine, command.stamp, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; ``None`` before the first one."""
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def model_changes(engine: AsyncEngine) -> list[Any]:
    """What autogenerate would write for this database; empty when it matches the models."""
    async with engine.connect() as connection:
        return await connection.run_sync(_compare_with_models)


def _compare_with_models(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts=COMPARE_OPTIONS)
    return list(compare_metadata(context, target_metadata()))


async def stairway(engine: AsyncEngine) -> list[str]:
    """Upgrade, downgrade and upgrade again through every revision; the revisions walked."""
    steps = revision_steps()
    for step in steps:
        await upgrade(engine, step.revision)
        await downgrade(engine, step.previous)
        await upgrade(engine, step.revision)
    return [step.revision for step in steps]


async def _run_command(
    engine: AsyncEngine, function: Callable[..., ResultT], *args: Any, **kwargs: Any
) -> ResultT:
    # Alembic opens and commits the transactions itself: one for the whole command on
    # PostgreSQL (a failed upgrade changes nothing), one per revision on CockroachDB.
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: function(alembic_config(sync), *args, **kwargs))


def migration_engine(url: str) -> AsyncEngine:
    """An engine without a pool: migrations open one connection at a time."""
    return create_async_engine(
        async_url(url),
        poolclass=NullPool,
        connect_args={"timeout": MIGRATION_CONNECT_TIMEOUT_SECONDS},
        hide_parameters=True,
    )


@asynccontextmanager
async def configured_database_url(explicit: str | None = None) -> AsyncIterator[str]:
    """The URL migrations run on: ``explicit``, else the settings' SQL URL, else the embedded one.

    The embedded PostgreSQL is started for the duration of the block when it is needed.
    """
    if explicit:
        yield explicit
        return
    settings = Settings()
    if settings.sql_db_url:
        yield settings.sql_db_url
        return
    embedded = await EmbeddedPostgres.start(settings.data_dir)
    try:
        yield embedded.sql_url
    finally:
        await embedded.stop()


async def recreate_database(server_url: str, name: str) -> str:
    """Drop database ``name`` on the server of ``server_url`` if it exists, create it empty.

    Returns the new database's URL. Only this one database is touched.
    """
    await drop_database(server_url, name)
    await _execute_outside_transaction(server_url, f"CREATE DATABASE {_quoted(name)}")
    return database_url(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    """Drop database ``name`` (and close its connections) if it exists."""
    dialect = make_url(server_url).get_backend_name()
    # CockroachDB drops the tables with the database; PostgreSQL must disconnect sessions first.
    suffix = " CASCADE" if dialect == "cockroachdb" else " WITH (FORCE)"
    await _execute_outside_transaction(server_url, f"DROP DATABASE IF EXISTS {_quoted(name)}{suffix}")


def _quoted(name: str) -> str:
    if not _SAFE_DATABASE_NAME.match(name):
        raise ValueError(f"{name!r} is not a safe database name: use lowercase letters, digits and _")
    return f'"{name}"'


async def _execute_outside_transaction(server_url: str, statement: str) -> None:
    # CREATE / DROP DATABASE cannot run inside a transaction block.
    engine = create_async_engine(async_url(server_url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


class SchemaStateError(RuntimeError):
    """The database's schema is not one the code can use; the message says what to run."""


def scripts_available() -> bool:
    """Whether the migration scripts are here (a checkout or the image; not a bare wheel)."""
    return ALEMBIC_INI.exists()


def head_revision() -> str:
    """The newest revision of ``alembic/versions``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "alembic/versions has no revision"
    return head


async def bring_to_head(engine: AsyncEngine) -> str:
    """Migrate a development database to the code's head revision; what was done, in one line.

    The migrations are the one source of the schema. A database made from the models before
    that (tables, no revision) is stamped at head when it matches the models, and refused with
    the command to run when it does not; so is a database at a revision this code lacks.
    """
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return f"Database schema at revision {head}"
    if current is None and await _has_tables(engine):
        if await model_changes(engine):
            raise SchemaStateError(
                "The database has tables but no migration revision, and they differ from the "
                "models: recreate it with `make pave-db` (its data is dropped)."
            )
        await stamp_head(engine)
        return f"Database made from the models: stamped at revision {head}"
    if current is not None and current not in {step.revision for step in revision_steps()}:
        raise SchemaStateError(
            f"The database is at revision {current}, which this code does not have (newer code "
            "migrated it): check out that code, or recreate the database with `make pave-db`."
        )
    await upgrade(engine)
    return f"Database migrated from revision {current or 'none'} to {head}"


async def schema_state(engine: AsyncEngine) -> str | None:
    """For a database the app does not own: None when at head, else a line with what to run."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        return None
    if current is not None and current not in {step.revision for step in revision_steps()}:
        return f"The database is at revision {current}, newer than this code's {head}: deploy the newer code."
    return f"The database is at revision {current or 'none'}, behind this code's {head}: run `make migrate`."


async def _has_tables(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: sqlalchemy_inspect(sync).get_table_names())
    return bool(set(names) & set(target_metadata().tables))


# Embedded databases this process has started and migrated, by data folder; each one's handle
# stays attached (so PostgreSQL keeps running for the server's workers) until it is released.
_prepared: dict[Path, EmbeddedPostgres] = {}


async def prepare_embedded_database(settings: Settings) -> EmbeddedPostgres:
    """Start the embedded PostgreSQL and bring it to the migrations' head, once per process.

    Raises ``SchemaStateError`` when the database is ahead of the code. Workers then only
    attach: two of them never race to create the databases or to migrate.
    """
    embedded = _prepared.get(settings.data_dir)
    if embedded is None:
        embedded = await EmbeddedPostgres.start(settings.data_dir)
        engine = migration_engine(embedded.sql_url)
        try:
            logger.info("%s", await bring_to_head(engine))
        finally:
            await engine.dispose()
        _prepared[settings.data_dir] = embedded
    return embedded


async def release_prepared_databases() -> None:
    """Detach from what ``prepare_embedded_database`` started (the last process out stops it)."""
    while _prepared:
        await _prepared.popitem()[1].stop()
