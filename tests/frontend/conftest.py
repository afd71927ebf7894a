"""Pages served in this process (no server), on the test's own database transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.db_connection import Database
from heavy_stack.backend.services.accounts.service import AccountService
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.app_root import AppRoot
from heavy_stack.settings import Settings
from heavy_stack_testing.page_driver import InProcessPage


@dataclass(frozen=True)
class OneConnectionDatabase(Database):
    """Runs handler transactions one at a time, as they share the test's single connection."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.lock, super().transaction() as session:
            yield session


class OpenPage(Protocol):
    def __call__(
        self, path: str = "/", *, visitor: Visitor | None = None, services: AppServices | None = None
    ) -> AbstractAsyncContextManager[InProcessPage]: ...


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
    async def opener(
        path: str = "/", *, visitor: Visitor | None = None, services: AppServices | None = None
    ) -> AsyncIterator[InProcessPage]:
        # services: the rolled-back ones with something changed (e.g. the vector database
        # down), or the committing ``services`` (for what happens at COMMIT).
        services = services or rolled_back_services
        database = services.database
        async with InProcessPage.open(AppRoot(services, visitor), path) as page:
            yield page
            if not isinstance(database, OneConnectionDatabase):
                return
            # Let a transaction in flight finish before the page (and its effects) is torn
            # down: cancelling a query midway would close the test's connection.
            await database.lock.acquire()
        database.lock.release()

    return opener


BROWSER_BINDING = "a-browser-binding-cookie-value"
PASSWORD = "correct horse battery"


class NewAccount(Protocol):
    async def __call__(self, email: str | None = None, name: str = "Ada") -> Visitor: ...


@pytest.fixture
def new_account(rolled_back_services: AppServices, db_session: AsyncSession) -> NewAccount:
    """``await new_account()``: signs up a new user (password ``PASSWORD``) and returns the
    visitor a browser with their session cookie would be, for ``open_page(visitor=...)``."""

    async def create(email: str | None = None, name: str = "Ada") -> Visitor:
        return await sign_up_visitor(rolled_back_services.accounts, nullcontext, email, name)

    return create


async def sign_up_visitor(
    accounts: AccountService,
    transaction: Callable[[], AbstractAsyncContextManager[object]],
    email: str | None = None,
    name: str = "Ada",
) -> Visitor:
    """A new user (password ``PASSWORD``), signed in as a browser would be; each step runs in
    ``transaction()`` (e.g. ``services.database.transaction``, to commit for real)."""
    visitor = Visitor("192.0.2.1", BROWSER_BINDING)
    email = email or f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    async with transaction():
        ticket = (await accounts.sign_up(visitor, email, name, PASSWORD)).ticket
    assert ticket is not None
    async with transaction():
        token = await accounts.complete_sign_in(ticket, BROWSER_BINDING)
    assert token is not None
    async with transaction():
        session = await accounts.signed_in_session(token)
    assert session is not None
    return visitor.signed_in(session)
