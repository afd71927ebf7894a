"""The embedded PostgreSQL 16 + pgvector (from the ``pgserver`` wheel) used when no URL is set.

Data lives under the project's git-ignored ``.data/`` folder and survives restarts. Every
process that calls ``EmbeddedPostgres.start`` attaches to the same server; the last one to stop
shuts it down.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
from platformdirs.api import RuntimeDirWarning
from sqlalchemy.engine import make_url

from heavy_stack.backend.data.db_connection import async_url

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

logger = logging.getLogger(__name__)

APP_DATABASE = "heavy_stack"
VECTOR_DATABASE = "heavy_stack_vector"


@dataclass
class EmbeddedPostgres:
    """A handle on the embedded server with the URLs of the app's two databases."""

    server: PostgresServer
    sql_url: str
    vector_url: str

    @classmethod
    async def start(cls, data_dir: Path) -> EmbeddedPostgres:
        """Start (or attach to) the server, creating both databases and ``vector`` if missing."""
        pgdata = data_dir / "pgdata"
        pgdata.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR, pgserver falls back to a folder under /tmp: that is fine.
            warnings.simplefilter("ignore", RuntimeDirWarning)
            from pgserver.postgres_server import get_server  # imported here: only DEV needs it
        # pgserver blocks while initdb / pg_ctl run; keep the event loop free meanwhile.
        server = await asyncio.to_thread(get_server, pgdata, cleanup_mode="stop")
        admin_url = server.get_uri()
        await ensure_databases(admin_url, APP_DATABASE, VECTOR_DATABASE)
        await ensure_vector_extension(database_url(admin_url, VECTOR_DATABASE))
        logger.info("Embedded PostgreSQL ready in %s", pgdata)
        return cls(
            server,
            async_url(database_url(admin_url, APP_DATABASE)),
            async_url(database_url(admin_url, VECTOR_DATABASE)),
        )

    async def stop(self) -> None:
        """Detach; the server stops when no other process uses it."""
        await asyncio.to_thread(self.server.cleanup)


def database_url(server_url: str, database: str) -> str:
    """The same server's URL pointing at another database."""
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


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
