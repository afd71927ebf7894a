"""Engines, session factories and the context variable that carries the current session.

Two databases, as in the seed: the app's SQL database and a vector database (pgvector) on a
second connection. ``Database`` owns both; the app opens it in a server start-up listener.

**Outages are bounded.** A database that is down refuses connections; one that hangs (a
stopped process, a lost network) accepts them and never answers. So every wait has a limit:
connecting, waiting for a pooled connection, and each statement (asyncpg's
``command_timeout``). A statement that times out is treated as a lost connection: SQLAlchemy
closes that connection and discards every pooled one opened before, so the app recovers by
itself when the database is back. Pooled connections are not pinged at each checkout (a round
trip per transaction); a stale one (after a database restart) fails its first statement, which
invalidates the pool the same way. ``is_unavailable`` tells such failures from the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import asyncpg
from sqlalchemy import event, exc, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# The session of the handler, effect or test now running. Repositories read it; the heavy
# wrappers (and the ``db_session`` test fixture) set it.
db_session: ContextVar[AsyncSession] = ContextVar("db_session")
# The same for the vector database, set by ``Database.vector_transaction``.
vector_db_session: ContextVar[AsyncSession] = ContextVar("vector_db_session")

SessionMaker = async_sessionmaker[AsyncSession]

# The longest a handler waits on the database before telling the user it is unavailable:
# for a connection, for a free pooled connection, and for each statement.
DB_TIMEOUT_SECONDS = 2.0


class CommitFailedError(RuntimeError):
    """The work of a transaction was done but COMMIT failed: nothing (or, when the connection
    was lost during the commit, perhaps nothing) was stored. The cause is chained."""


_ASYNC_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    # sqlalchemy-cockroachdb's default driver is sync (psycopg2).
    "cockroachdb": "cockroachdb+asyncpg",
}


def async_url(url: str) -> str:
    """Give a plain ``postgresql://`` URL the asyncpg driver; leave explicit drivers alone."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_SECONDS) -> AsyncEngine:
    """An async engine with the pool settings the app uses everywhere.

    ``timeout`` bounds connecting, waiting for a pooled connection and every statement
    (see the module docstring); give a longer one to engines that run long statements.
    """
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=timeout,
        connect_args={"timeout": timeout, "command_timeout": timeout},
    )
    event.listen(engine.sync_engine, "handle_error", _timeouts_lose_the_connection)
    return engine


def _timeouts_lose_the_connection(context: ExceptionContext) -> None:
    # A statement that timed out leaves its connection mid-protocol; SQLAlchemy closes a
    # connection it takes as lost (no ROLLBACK that would wait again) and renews the pool.
    if not isinstance(context.original_exception, TimeoutError):
        return
    context.is_disconnect = True
    # Close the socket now: SQLAlchemy's polite close would wait up to 2 s more for a server
    # that does not answer.
    if context.connection is not None and not context.connection.invalidated:
        driver = context.connection.connection.driver_connection
        if isinstance(driver, asyncpg.Connection):
            driver.terminate()


_UNAVAILABLE = (
    TimeoutError,  # asyncpg's command or connect timeout (asyncio.TimeoutError is TimeoutError)
    OSError,  # refused or reset connections
    exc.TimeoutError,  # no pooled connection free in time
    asyncpg.PostgresConnectionError,  # e.g. the server is starting up or shutting down
    asyncpg.InterfaceError,  # e.g. the connection was closed mid-operation
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) means the database could not be reached in time."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, _UNAVAILABLE):
            return True
        current = current.__cause__ or current.__context__
    return False


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    # expire_on_commit=False: objects stay readable after the handler's transaction commits.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@dataclass(frozen=True)
class Database:
    """The app's two connections: SQL data and vectors."""

    engine: AsyncEngine
    sessionmaker: SessionMaker
    vector_engine: AsyncEngine
    vector_sessionmaker: SessionMaker

    @classmethod
    def connect(
        cls, sql_url: str, vector_url: str, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_SECONDS
    ) -> Database:
        """Create engines (connections open lazily, on first use)."""
        engine = create_engine(sql_url, pool_size=pool_size, timeout=timeout)
        vector_engine = create_engine(vector_url, pool_size=pool_size, timeout=timeout)
        return cls(engine, create_sessionmaker(engine), vector_engine, create_sessionmaker(vector_engine))

    async def close(self) -> None:
        await self.engine.dispose()
        await self.vector_engine.dispose()

    async def is_reachable(self, within: float = 1.5) -> dict[str, bool]:
        """Run ``SELECT 1`` on both databases at once; ``False`` where it fails or takes
        longer than ``within`` seconds."""
        sql, vector = await asyncio.gather(
            _answers(self.engine, within), _answers(self.vector_engine, within)
        )
        return {"sql": sql, "vector": vector}

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, set as the current ``db_session`` while it is open.

        Commits when the block ends normally (``CommitFailedError`` if that fails), rolls back
        when it raises, always closes.
        """
        async with _current_session(self.sessionmaker, db_session) as session:
            yield session

    @asynccontextmanager
    async def vector_transaction(self) -> AsyncIterator[AsyncSession]:
        """Like ``transaction``, on the vector database, set as the current ``vector_db_session``."""
        async with _current_session(self.vector_sessionmaker, vector_db_session) as session:
            yield session


@asynccontextmanager
async def _current_session(
    sessionmaker: SessionMaker, current: ContextVar[AsyncSession]
) -> AsyncIterator[AsyncSession]:
    body_done = False
    try:
        async with sessionmaker() as session, session.begin():
            token = current.set(session)
            try:
                yield session
            finally:
                current.reset(token)
            body_done = True  # what fails from here on is the COMMIT
    except Exception as error:
        if body_done:
            raise CommitFailedError(f"COMMIT failed: {error}") from error
        raise


async def _answers(engine: AsyncEngine, within: float) -> bool:
    # Not asyncio.timeout: after a cancellation, giving the connection back can wait again.
    # The probe is left to end by itself (within the engine's own timeout).
    probe = asyncio.create_task(_select_one(engine))
    _probes.add(probe)
    probe.add_done_callback(_probes.discard)
    done, _pending = await asyncio.wait({probe}, timeout=within)
    return probe in done and probe.result()


_probes: set[asyncio.Task[bool]] = set()  # running probes (the loop keeps weak references only)


async def _select_one(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not ready"
        return False
    return True
