"""Create and drop the SQL tables straight from the models (development only)."""

from __future__ import annotations

import ipaddress

import heavy
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from heavy_stack.backend.data import migrations
from heavy_stack.backend.data.sql_models import HeavyModel
from heavy_stack.backend.data.vector_models import VectorModel

# What the app's server calls its connections (``application_name``, in pg_stat_activity): how
# ``make pave-db`` tells that a running server uses a database.
SERVER_APPLICATION_NAME = "heavy_stack"

LOCAL_HOST_NAMES = {"localhost", ""}


class NotLocalDatabaseError(RuntimeError):
    """Refused to drop tables in a database that is not on this machine."""


class DatabaseInUseError(RuntimeError):
    """Refused to drop tables that a running server of the app is using."""


async def pave(engine: AsyncEngine, vector_engine: AsyncEngine | None = None) -> None:
    """Drop every table of the models and create them again, empty.

    With ``vector_engine``, the vector database's tables too (and its ``vector`` extension).
    """
    for each in (engine, vector_engine):
        if each is not None:
            _refuse_unless_local(each)
    async with engine.begin() as connection:
        await connection.run_sync(HeavyModel.metadata.drop_all)
        await connection.run_sync(heavy.drop_task_queue)
        await connection.run_sync(HeavyModel.metadata.create_all)
        await connection.run_sync(heavy.create_task_queue)
    # The tables are the models and the task queue's, which the migrations' head makes (a test
    # checks it).
    await migrations.stamp_head(engine)
    if vector_engine is not None:
        async with vector_engine.begin() as connection:
            await connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
            await connection.run_sync(VectorModel.metadata.drop_all)
            await connection.run_sync(VectorModel.metadata.create_all)


async def refuse_if_a_server_uses(engine: AsyncEngine, what: str | None = None) -> None:
    """Raise DatabaseInUseError when a running server of the app has connections to this database.

    ``what`` names the database in the message (default: its URL, without the password).

    The server names its connections ``SERVER_APPLICATION_NAME`` (``application_name``), and
    holds some from its start (its background jobs use the database at once), whether the
    database is the embedded one or a configured one. Other programs' connections (psql, a
    database browser, the test suite) do not count.
    """
    async with engine.connect() as connection:
        found = await connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = :name AND pid <> pg_backend_pid() ORDER BY pid"
            ),
            {"name": SERVER_APPLICATION_NAME},
        )
        backends = found.scalars().all()
    if backends:
        what = what or engine.url.render_as_string(hide_password=True)
        raise DatabaseInUseError(
            f"Refusing to pave {what}: a running server is using it ({len(backends)} connection(s) "
            f"named {SERVER_APPLICATION_NAME}); stop the server first (Ctrl+C where `make run` "
            "runs), then pave again."
        )


def _refuse_unless_local(engine: AsyncEngine) -> None:
    url = engine.url.render_as_string(hide_password=True)
    if not is_local_database(url):
        raise NotLocalDatabaseError(
            f"Refusing to pave {url}: only a database on this machine (localhost, a loopback "
            "address or a unix socket) can be paved. Use migrations for any other database."
        )


def is_local_database(url: str) -> bool:
    """True for a database reached over a unix socket, ``localhost`` or a loopback address."""
    parsed = make_url(url)
    host = parsed.host or ""
    socket_host = parsed.query.get("host")
    if not host and socket_host:
        host = socket_host if isinstance(socket_host, str) else socket_host[0]
    if host.startswith("/") or host in LOCAL_HOST_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
