"""The housekeeping job's orphan check of the vector database, on a new server's first start."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from heavy import Database

from heavy_stack.backend.services.container import AppServices, forget_expired
from heavy_stack.settings import Settings


@pytest.fixture
async def vector_tables_not_made(
    database_urls: tuple[str, str], database: Database
) -> AsyncIterator[Database]:
    """The test database (``database``: its tables made) with, as its vector database, one whose
    tables the catch-up job has not made yet: the SQL database."""
    sql_url, _vector_url = database_urls
    fresh = Database.connect(sql_url, sql_url, pool_size=1)
    yield fresh
    await fresh.close()


async def test_housekeeping_before_the_vector_tables_exist_is_quiet(
    vector_tables_not_made: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """Both jobs start with the server: the orphan check may come first on a new data folder."""
    services = AppServices(database=vector_tables_not_made, settings=settings)
    with caplog.at_level(logging.WARNING):
        assert await services.note_search.forget_orphans() == 0
        await forget_expired(services)
    assert caplog.records == []


async def test_an_unreachable_vector_database_still_says_so(
    database_urls: tuple[str, str], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    sql_url, _vector_url = database_urls
    unreachable = Database.connect(sql_url, "postgresql://127.0.0.1:9/nowhere", pool_size=1)
    try:
        services = AppServices(database=unreachable, settings=settings)
        with caplog.at_level(logging.WARNING):
            assert await services.note_search.forget_orphans() == 0
    finally:
        await unreachable.close()
    assert "Vector database unavailable, no orphan check" in caplog.text
