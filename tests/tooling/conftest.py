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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run ``renamed_copy`` tests (minutes each) only when asked for by name: ``make test-renamed``."""
    if "renamed_copy" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="a renamed copy's whole fast suite: run it with make test-renamed")
    for item in items:
        if item.get_closest_marker("renamed_copy") is not None:
            item.add_marker(skip)


@pytest.fixture
async def scratch_engine(scratch_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an empty scratch database."""
    engine = migrations.migration_engine(scratch_url)
    try:
        yield engine
    finally:
        await engine.dispose()
