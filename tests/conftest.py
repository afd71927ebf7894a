"""Fixtures on a real PostgreSQL: the embedded one, started once per run in a temporary folder.

Set ``HEAVY_STACK_TEST_SQL_DB_URL`` (and optionally ``HEAVY_STACK_TEST_VECTOR_DB_URL``) to run
the suite against a PostgreSQL of your own instead; its tables are dropped and recreated.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.db_connection import Database
from heavy_stack.backend.data.db_connection import db_session as db_session_var
from heavy_stack.backend.data.embedded_postgres import EmbeddedPostgres
from heavy_stack.backend.data.pave import pave
from heavy_stack.backend.services.container import AppServices
from heavy_stack.settings import Settings
from heavy_stack_testing.live_server import LiveServer, live_server

from tests.databases import make_scratch_database


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
async def database_urls() -> AsyncIterator[tuple[str, str]]:
    """``(sql_url, vector_url)`` of the test databases."""
    configured = os.environ.get("HEAVY_STACK_TEST_SQL_DB_URL")
    if configured:
        yield configured, os.environ.get("HEAVY_STACK_TEST_VECTOR_DB_URL", configured)
        return
    # Not under pytest's base temp: a second pytest run resets that folder's permissions, which
    # would kill this run's server (it runs as another user when the tests run as root).
    data_dir = Path(tempfile.mkdtemp(prefix="heavy-stack-test-db-"))
    embedded = await EmbeddedPostgres.start(data_dir)
    try:
        yield embedded.sql_url, embedded.vector_url
    finally:
        await embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def database(database_urls: tuple[str, str]) -> AsyncIterator[Database]:
    """The test database, its tables freshly paved from the models."""
    database = Database.connect(*database_urls, pool_size=5)
    await pave(database.engine, database.vector_engine)
    yield database
    await database.close()


@pytest.fixture
async def db_session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session set as the current ``db_session``, inside a transaction rolled back after the test.

    Code under test may commit: its commits become savepoints of the outer transaction, so
    nothing a test writes outlives it.
    """
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        token = db_session_var.set(session)
        try:
            yield session
        finally:
            db_session_var.reset(token)
            await session.close()
            await transaction.rollback()


@pytest.fixture(scope="session")
def server(
    database_urls: tuple[str, str], database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The real server (``python -m heavy_stack``) in its own process, on the test databases."""
    sql_url, vector_url = database_urls
    log_path = tmp_path_factory.mktemp("server") / "server.log"
    with live_server({"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url}, log_path) as running:
        yield running


@pytest.fixture
async def scratch_url(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    """The URL of an empty database, dropped after the test."""
    async for url in make_scratch_database(database_urls, "test"):
        yield url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data")


@pytest.fixture
def services(database: Database, settings: Settings) -> AppServices:
    """Services as the server builds them, on the test database (handlers really commit)."""
    return AppServices(database=database, settings=settings)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``HEAVY_STACK_*`` variable from the developer's shell leaks into a settings test."""
    for name in list(os.environ):
        if name.startswith("HEAVY_STACK_"):
            monkeypatch.delenv(name)
    return monkeypatch
