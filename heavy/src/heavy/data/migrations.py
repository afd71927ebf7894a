"""Alembic migrations as a Python API: a product's ``alembic/env.py``, its scripts and its tests.

A product describes its migrations once, with ``Migrations``: its ``alembic.ini``, the metadata
the revisions describe, and the metadata of tables left out of them (made at start-up)::

    MIGRATIONS = Migrations(ROOT / "alembic.ini", HeavyModel.metadata, unmigrated=VectorModel.metadata)
    await MIGRATIONS.upgrade(engine)

Every method that touches a database takes an ``AsyncEngine`` and hands alembic one of its
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
from typing import Any, ClassVar, Literal, TypeVar

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from heavy.data.db_connection import async_url
from heavy.data.embedded_postgres import EmbeddedPostgres, database_url
from heavy.settings import HeavySettings
from sqlalchemy import MetaData, text
from sqlalchemy import inspect as sqlalchemy_inspect
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel.sql.sqltypes import AutoString

logger = logging.getLogger(__name__)

MIGRATION_CONNECT_TIMEOUT_SECONDS = 10

_SAFE_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

ResultT = TypeVar("ResultT")


class SchemaStateError(RuntimeError):
    """The database's schema is not one the code can use; the message says what to run."""


@dataclass(frozen=True)
class Step:
    """One revision and the one it follows (``"base"`` for the first)."""

    revision: str
    previous: str


@dataclass(frozen=True)
class Migrations:
    """A product's migrations: its ``alembic.ini`` and the tables its revisions describe."""

    # What autogenerate logs (and a script may print) when the models have nothing new.
    NO_CHANGES_MESSAGE: ClassVar[str] = "No model changes: nothing to migrate (no revision file written)."

    alembic_ini: Path
    # Every table the revisions describe (a product's model base registers them on it).
    metadata: MetaData
    # Tables that may share the database but are not migrated (made at start-up).
    unmigrated: MetaData | None = None
    # Tables the revisions create that no model describes: a library's, such as the task
    # queue's (``heavy.TASK_QUEUE_TABLES``); autogenerate and the check leave them alone.
    unmodelled: frozenset[str] = frozenset()

    def skip_unmigrated(self, name: str | None, type_: str, parent_names: Any) -> bool:
        """alembic's ``include_name``: leave the tables of ``unmigrated`` and ``unmodelled`` out."""
        if type_ != "table":
            return True
        return not (
            name in self.unmodelled or (self.unmigrated is not None and name in self.unmigrated.tables)
        )

    @property
    def compare_options(self) -> dict[str, Any]:
        """Options for autogenerate and for the models-vs-migrations check: one source, so they agree."""
        return {"compare_type": True, "include_name": self.skip_unmigrated}

    def config(self, connection: Connection | None = None) -> Config:
        """The product's ``alembic.ini``, usable from any working directory.

        With ``connection``, ``env.py`` runs the migrations on it instead of opening its own.
        """
        # The ini names its folder relative to itself (%(here)s): any working directory will do.
        config = Config(str(self.alembic_ini))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    def environment_options(self) -> dict[str, Any]:
        """What ``env.py`` passes to ``context.configure`` besides the connection or URL."""
        return {"target_metadata": self.metadata, "render_item": render_item, **self.compare_options}

    def scripts_available(self) -> bool:
        """Whether the migration scripts are here (a checkout or the image; not a bare wheel)."""
        return self.alembic_ini.exists()

    def revision_steps(self) -> list[Step]:
        """Every revision, oldest first."""
        scripts = ScriptDirectory.from_config(self.config())
        steps = [
            Step(script.revision, _single_parent(script.down_revision)) for script in scripts.walk_revisions()
        ]
        return steps[::-1]  # walk_revisions goes from head down to base

    def head_revision(self) -> str:
        """The newest revision of the scripts folder."""
        head = ScriptDirectory.from_config(self.config()).get_current_head()
        assert head is not None, "the migrations folder has no revision"
        return head

    async def upgrade(self, engine: AsyncEngine, revision: str = "head") -> None:
        """``alembic upgrade REVISION`` on the engine's database."""
        await self._run_command(engine, command.upgrade, revision)

    async def downgrade(self, engine: AsyncEngine, revision: str) -> None:
        """``alembic downgrade REVISION`` (``"base"``, ``"-1"`` or an id) on the engine's database."""
        await self._run_command(engine, command.downgrade, revision)

    async def autogenerate(self, engine: AsyncEngine, message: str) -> Path | None:
        """Write a revision for what the models have and the database lacks; ``None`` if nothing."""
        result = await self._run_command(
            engine,
            command.revision,
            message=message,
            autogenerate=True,
            process_revision_directives=skip_empty_revision,
        )
        scripts = result if isinstance(result, list) else [result]
        written = [script for script in scripts if script is not None]
        return Path(written[0].path) if written else None

    async def stamp_head(self, engine: AsyncEngine) -> None:
        """Record the database as at head without running anything (its tables match the models)."""
        await self._run_command(engine, command.stamp, "head")

    async def model_changes(self, engine: AsyncEngine) -> list[Any]:
        """What autogenerate would write for this database; empty when it matches the models."""
        async with engine.connect() as connection:
            return await connection.run_sync(self._compare_with_models)

    def _compare_with_models(self, connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts=self.compare_options)
        return list(compare_metadata(context, self.metadata))

    async def stairway(self, engine: AsyncEngine) -> list[str]:
        """Upgrade, downgrade and upgrade again through every revision; the revisions walked."""
        steps = self.revision_steps()
        for step in steps:
            await self.upgrade(engine, step.revision)
            await self.downgrade(engine, step.previous)
            await self.upgrade(engine, step.revision)
        return [step.revision for step in steps]

    async def bring_to_head(self, engine: AsyncEngine) -> str:
        """Migrate a development database to the code's head revision; what was done, in one line.

        The migrations are the one source of the schema. A database made from the models before
        that (tables, no revision) is stamped at head when it matches the models, and refused
        with the command to run when it does not; so is a database at a revision this code lacks.
        """
        current, head = await current_revision(engine), self.head_revision()
        if current == head:
            return f"Database schema at revision {head}"
        if current is None and await self._has_tables(engine):
            if await self.model_changes(engine):
                raise SchemaStateError(
                    "The database has tables but no migration revision, and they differ from the "
                    "models: recreate it with `make pave-db` (its data is dropped)."
                )
            await self.stamp_head(engine)
            return f"Database made from the models: stamped at revision {head}"
        if current is not None and current not in {step.revision for step in self.revision_steps()}:
            raise SchemaStateError(
                f"The database is at revision {current}, which this code does not have (newer code "
                "migrated it): check out that code, or recreate the database with `make pave-db`."
            )
        await self.upgrade(engine)
        return f"Database migrated from revision {current or 'none'} to {head}"

    async def schema_state(self, engine: AsyncEngine) -> str | None:
        """For a database the app does not own: None when at head, else a line with what to run."""
        current, head = await current_revision(engine), self.head_revision()
        if current == head:
            return None
        if current is not None and current not in {step.revision for step in self.revision_steps()}:
            return f"The database is at revision {current}, newer than this code's {head}: deploy the newer code."
        return (
            f"The database is at revision {current or 'none'}, behind this code's {head}: run `make migrate`."
        )

    async def prepare_embedded_database(self, settings: HeavySettings) -> EmbeddedPostgres:
        """Start the embedded PostgreSQL and bring it to the migrations' head, once per process.

        Raises ``SchemaStateError`` when the database is ahead of the code. Workers then only
        attach: two of them never race to create the databases or to migrate.
        """
        embedded = _prepared.get(settings.data_dir)
        if embedded is None:
            embedded = await EmbeddedPostgres.start(settings.data_dir, settings)
            engine = migration_engine(embedded.sql_url)
            try:
                logger.info("%s", await self.bring_to_head(engine))
            finally:
                await engine.dispose()
            _prepared[settings.data_dir] = embedded
        return embedded

    async def _has_tables(self, engine: AsyncEngine) -> bool:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: sqlalchemy_inspect(sync).get_table_names())
        return bool(set(names) & set(self.metadata.tables))

    async def _run_command(
        self, engine: AsyncEngine, function: Callable[..., ResultT], *args: Any, **kwargs: Any
    ) -> ResultT:
        # Alembic opens and commits the transactions itself: one for the whole command on
        # PostgreSQL (a failed upgrade changes nothing), one per revision on CockroachDB.
        async with engine.connect() as connection:
            return await connection.run_sync(lambda sync: function(self.config(sync), *args, **kwargs))


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write SQLModel's ``AutoString`` as ``sa.String``: revisions then need only SQLAlchemy."""
    if type_ == "type" and isinstance(obj, AutoString):
        length = obj.length  # TypeDecorator passes attribute reads through to String
        return "sa.String()" if length is None else f"sa.String(length={length})"
    return False  # alembic's default rendering


def skip_empty_revision(context: MigrationContext, revision: Any, directives: list[MigrationScript]) -> None:
    """Write no file when autogenerate found nothing (``Migrations.autogenerate`` passes this).

    Only the Python API uses it: ``alembic revision --autogenerate`` keeps alembic's own
    behaviour, and ``alembic check`` needs the directives it inspects.
    """
    script = directives[0]
    if script.upgrade_ops is not None and script.upgrade_ops.is_empty():
        directives[:] = []
        logger.warning(Migrations.NO_CHANGES_MESSAGE)


def _single_parent(down_revision: str | Sequence[str] | None) -> str:
    if down_revision is None:
        return "base"
    if not isinstance(down_revision, str):
        # A merge revision: downgrading it one step lands on its parents.
        return "-1"
    return down_revision


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; ``None`` before the first one."""
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


def migration_engine(url: str) -> AsyncEngine:
    """An engine without a pool: migrations open one connection at a time."""
    return create_async_engine(
        async_url(url),
        poolclass=NullPool,
        connect_args={"timeout": MIGRATION_CONNECT_TIMEOUT_SECONDS},
        hide_parameters=True,
    )


@asynccontextmanager
async def configured_database_url(
    settings: Callable[[], HeavySettings], explicit: str | None = None
) -> AsyncIterator[str]:
    """The URL migrations run on: ``explicit``, else the settings' SQL URL without a transaction
    pooler (``direct_sql_url``: a migration's DDL and alembic's locks want one session), else
    the embedded one.

    ``settings`` builds the product's settings (its settings class), only when no URL is given.
    The embedded PostgreSQL is started for the duration of the block when it is needed.
    """
    if explicit:
        yield explicit
        return
    configured = settings()
    if configured.direct_sql_url:
        yield configured.direct_sql_url
        return
    embedded = await EmbeddedPostgres.start(configured.data_dir, configured)
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


# Embedded databases this process has started and migrated, by data folder; each one's handle
# stays attached (so PostgreSQL keeps running for the server's workers) until it is released.
_prepared: dict[Path, EmbeddedPostgres] = {}


async def release_prepared_databases() -> None:
    """Detach from what ``prepare_embedded_database`` started (the last process out stops it)."""
    while _prepared:
        await _prepared.popitem()[1].stop()
