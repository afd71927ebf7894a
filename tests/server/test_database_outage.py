"""A hung database: bounded waits, a visible message, readiness 503, and recovery on its own.

Every PostgreSQL process of a database of this test's own (never the shared test database) is
stopped with SIGSTOP: it keeps accepting connections and never answers, the worst kind of
outage. The real server runs on it; a page is driven over a real websocket.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from heavy import UNAVAILABLE
from heavy.data.db_connection import Database
from heavy.data.embedded_postgres import EmbeddedPostgres
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage

from heavy_stack.backend.data.pave import pave
from heavy_stack.settings import Settings
from heavy_stack_testing.product import live_server

pytestmark = pytest.mark.server

HUNG_SECONDS = 6.0
READY_BOUND_SECONDS = 2.0
CLICK_BOUND_SECONDS = 5.0


@pytest.fixture
async def own_database() -> AsyncIterator[EmbeddedPostgres]:
    """An embedded PostgreSQL of this test alone, its tables paved."""
    data_dir = Path(tempfile.mkdtemp(prefix="heavy-stack-outage-db-"))
    embedded = await EmbeddedPostgres.start(data_dir, Settings)
    try:
        database = Database.connect(embedded.sql_url, embedded.vector_url, pool_size=1)
        await pave(database.engine, database.vector_engine)
        await database.close()
        yield embedded
    finally:
        await embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def app_on_own_database(own_database: EmbeddedPostgres, tmp_path: Path) -> Iterator[LiveServer]:
    settings = {"SQL_DB_URL": own_database.sql_url, "VECTOR_DB_URL": own_database.vector_url}
    with live_server(settings, tmp_path / "server.log") as running:
        yield running


@contextmanager
def hung(embedded: EmbeddedPostgres) -> Iterator[None]:
    """Every process of the server stopped (SIGSTOP) in the block; always continued after."""
    postmaster = psutil.Process(embedded.server.get_pid())
    processes = [postmaster, *postmaster.children(recursive=True)]
    try:
        for process in processes:
            os.kill(process.pid, signal.SIGSTOP)
        yield
    finally:
        for process in processes:
            os.kill(process.pid, signal.SIGCONT)


async def get_status(url: str) -> tuple[int, float]:
    """The status of ``GET url`` and how long the answer took, in seconds."""
    return await asyncio.to_thread(_get_status, url)


def _get_status(url: str) -> tuple[int, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


async def test_a_hung_database_is_reported_within_seconds_and_the_app_recovers(
    own_database: EmbeddedPostgres, app_on_own_database: LiveServer
) -> None:
    base_url = app_on_own_database.base_url
    async with WebSocketPage.open(base_url, "/") as page:
        await page.wait_for_text("current-user", "<")  # the demo user, read from the database
        await page.type("rename-input", "Renamed while hung")

        with hung(own_database):
            stopped_at = time.monotonic()
            ready_status, ready_seconds = await get_status(base_url + "/readyz")
            live_status, _ = await get_status(base_url + "/livez")

            clicked_at = time.monotonic()
            await page.submit("rename-form")
            await page.wait_for_text("app-notice", UNAVAILABLE, timeout=CLICK_BOUND_SECONDS)
            stall = time.monotonic() - clicked_at
            await asyncio.sleep(max(0.0, HUNG_SECONDS - (time.monotonic() - stopped_at)))

        assert "Renamed while hung" not in page.text("current-user")
        figures = f"/readyz {ready_status} in {ready_seconds:.2f} s; message {stall:.2f} s after the click"
        print("\nhung database:", figures)
        assert (ready_status, live_status) == (503, 200)
        assert ready_seconds < READY_BOUND_SECONDS

        # Continued: ready again, and the same page writes, on fresh connections.
        await wait_until_ready(base_url)
        await page.type("rename-input", "Renamed after")
        await page.submit("rename-form")
        await page.wait_for_text("current-user", "Renamed after")
        assert page.text("app-notice") == ""
    assert "Traceback" not in app_on_own_database.log()


async def wait_until_ready(base_url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while (await get_status(base_url + "/readyz"))[0] != 200:
        assert time.monotonic() < deadline, "not ready again after the database continued"
        await asyncio.sleep(0.2)
