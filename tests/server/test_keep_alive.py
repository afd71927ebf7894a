"""The server's websocket keep-alive (``heavy.web.keep_alive``): one pinger for every page.

A server pinging each second and waiting a second for the pong (Sanic's
``WEBSOCKET_PING_INTERVAL`` and ``WEBSOCKET_PING_TIMEOUT``, read from the environment): a page
whose browser answers stays open and live across several rounds; a peer gone silent without a
close (it stops reading, as a frozen tab or a lost network does: its TCP still acknowledges) is
found by the missing pong, and its page is closed and freed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from heavy import Database
from heavy.testing.live_server import LiveServer, live_server
from heavy.testing.page_driver import WebSocketPage
from heavy.testing.plugin import suite_server_settings
from heavy.testing.product import ProductUnderTest

from tests.server.test_closed_pages_freed import census, census_once

pytestmark = pytest.mark.server

PING_SECONDS = 1


@pytest.fixture(scope="module")
def pinging_server(
    heavy_product: ProductUnderTest,
    database_urls: tuple[str, str],
    database: Database,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveServer]:
    """The product's server on the test databases, pinging every second (Sanic's settings)."""
    pings = {
        "SANIC_WEBSOCKET_PING_INTERVAL": str(PING_SECONDS),
        "SANIC_WEBSOCKET_PING_TIMEOUT": str(PING_SECONDS),
    }
    log_path = tmp_path_factory.mktemp("keep-alive") / "server.log"
    settings = suite_server_settings(heavy_product, database_urls)
    with live_server(heavy_product, settings, log_path, base_env=os.environ | pings) as running:
        yield running


async def test_a_page_that_answers_pings_stays_live_and_a_silent_one_is_closed_and_freed(
    pinging_server: LiveServer,
) -> None:
    before = await asyncio.to_thread(census, pinging_server, collect=False)
    async with (
        WebSocketPage.open(pinging_server.base_url) as live,
        WebSocketPage.open(pinging_server.base_url) as silent,
    ):
        opened = await asyncio.to_thread(census, pinging_server, collect=False)
        assert opened["layouts"] == before["layouts"] + 2
        silent.connection.transport.pause_reading()  # no more pongs, and no close either
        left = await _layouts_once_down_to(pinging_server, before["layouts"] + 1)
        assert left == before["layouts"] + 1, "the silent page was not closed"
        assert "timed out waiting for pong" in pinging_server.log()
        # The live page went through the same rounds and still answers a click.
        shown = live.text("server-time")
        await live.click("update-time")
        await live.wait_until(lambda: live.text("server-time") != shown)
        silent.connection.transport.abort()  # its close would wait for a close frame it cannot read
    assert await _layouts_once_down_to(pinging_server, before["layouts"]) == before["layouts"]


async def _layouts_once_down_to(server: LiveServer, count: int) -> int:
    counts = await census_once(server, lambda counts: counts["layouts"] <= count)
    return counts["layouts"]
