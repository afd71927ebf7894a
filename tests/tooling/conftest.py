"""Scratch databases on the test server, for migrations and for copies of the project."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from heavy_stack.backend.data import migrations


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``tooling`` mark (``-m "not tooling"`` skips these slower tests)."""
    config.addinivalue_line(
        "markers", "tooling: copies the project and runs its commands in subprocesses (tens of seconds)"
    )


@pytest.fixture
async def scratch_engine(scratch_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty scratch database."""
    engine = migrations.migration_engine(scratch_url)
    try:
        yield engine
    finally:
        await engine.dispose()
