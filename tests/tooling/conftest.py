"""Scratch databases on the test server, for migrations and for copies of the project."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from heavy_stack.backend.data import migrations


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``tooling`` mark (``-m "not tooling"`` skips these slower tests)."""
    config.addinivalue_line(
        "markers", "tooling: copies the project and runs its commands in subprocesses (tens of seconds)"
    )


def scratch_name(purpose: str) -> str:
    """A database name no other test (or run) uses."""
    return f"scratch_{purpose}_{uuid.uuid4().hex[:10]}"


async def make_scratch_database(database_urls: tuple[str, str], purpose: str) -> AsyncIterator[str]:
    """An empty database on the test server for the fixture's lifetime; yields its URL."""
    server_url = database_urls[0]
    name = scratch_name(purpose)
    url = await migrations.recreate_database(server_url, name)
    try:
        yield url
    finally:
        await migrations.drop_database(server_url, name)


@pytest.fixture
async def scratch_url(database_urls: tuple[str, str]) -> AsyncIterator[str]:
    """The URL of an empty database, dropped after the test."""
    async for url in make_scratch_database(database_urls, "test"):
        yield url


@pytest.fixture
async def scratch_engine(scratch_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty scratch database."""
    engine = migrations.migration_engine(scratch_url)
    try:
        yield engine
    finally:
        await engine.dispose()
