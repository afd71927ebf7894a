"""Engines, session factories and the context variable that carries the current session.

Two databases, as in the seed: the app's SQL database and a vector database (pgvector) on a
second connection. ``Database`` owns both; the app opens it in a server start-up listener.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# The session of the handler, effect or test now running. Repositories read it; the heavy
# wrappers (and the ``db_session`` test fixture) set it.
db_session: ContextVar[AsyncSession] = ContextVar("db_session")
# The same for the vector database, set by ``Database.vector_transaction``.
vector_db_session: ContextVar[AsyncSession] = ContextVar("vector_db_session")

SessionMaker = async_sessionmaker[AsyncSession]

CONNECT_TIMEOUT_SECONDS = 5

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


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine with the pool settings the app uses everywhere."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Fail fast when the database is down instead of asyncpg's 60 s default.
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
    )


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
    def connect(cls, sql_url: str, vector_url: str, *, pool_size: int = 10) -> Database:
        """Create engines (connections open lazily, on first use)."""
        engine = create_engine(sql_url, pool_size=pool_size)
        vector_engine = create_engine(vector_url, pool_size=pool_size)
        return cls(engine, create_sessionmaker(engine), vector_engine, create_sessionmaker(vector_engine))

    async def close(self) -> None:
        await self.engine.dispose()
        await self.vector_engine.dispose()

    async def is_reachable(self) -> dict[str, bool]:
        """Run ``SELECT 1`` on each connection; ``False`` where it fails."""
        return {
            "sql": await _answers(self.engine),
            "vector": await _answers(self.vector_engine),
        }

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, set as the current ``db_session`` while it is open.

        Commits when the block ends normally, rolls back when it raises, always closes.
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
    async with sessionmaker() as session, session.begin():
        token = current.set(session)
        try:
            yield session
        finally:
            current.reset(token)


async def _answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not reachable" for a health check
        return False
    return True
