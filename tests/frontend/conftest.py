"""Pages served in this process (no server), on the test's own database transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.db_connection import Database
from heavy_stack.frontend.app_context import AppServices
from heavy_stack.frontend.app_root import AppRoot
from heavy_stack.settings import Settings
from heavy_stack.testing.layout_session import InProcessSession


@dataclass(frozen=True)
class OneConnectionDatabase(Database):
    """Runs handler transactions one at a time, as they share the test's single connection."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.lock, super().transaction() as session:
            yield session


OpenPage = Callable[[str], AbstractAsyncContextManager[InProcessSession]]


@pytest.fixture
def rolled_back_services(db_session: AsyncSession, database: Database, settings: Settings) -> AppServices:
    """Services whose handler transactions are savepoints in the test's transaction.

    What a page writes is visible to the test through ``db_session`` and gone after it.
    Handlers share that one connection, so their transactions take turns.
    """
    connection = db_session.bind
    assert isinstance(connection, AsyncConnection)
    sessionmaker = async_sessionmaker(
        bind=connection, class_=AsyncSession, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    in_test = OneConnectionDatabase(
        database.engine, sessionmaker, database.vector_engine, database.vector_sessionmaker
    )
    return AppServices(database=in_test, settings=settings)


@pytest.fixture
def open_page(rolled_back_services: AppServices) -> OpenPage:
    """``async with open_page("/") as page:`` mounts the app at a path, in this process."""

    @asynccontextmanager
    async def opener(path: str = "/") -> AsyncIterator[InProcessSession]:
        database = rolled_back_services.database
        assert isinstance(database, OneConnectionDatabase)
        async with InProcessSession.open(AppRoot(rolled_back_services), path) as page:
            yield page
            # Let a transaction in flight finish before the page (and its effects) is torn
            # down: cancelling a query midway would close the test's connection.
            await database.lock.acquire()
        database.lock.release()

    return opener
