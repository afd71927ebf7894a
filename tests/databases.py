"""Scratch databases on the test server, for tests that need a database of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from heavy_stack.backend.data import migrations


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
