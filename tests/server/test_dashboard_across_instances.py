"""The development dashboard on ``make cluster``'s two instances: the page one instance serves
shows both instances' figures, and a click on the other instance reaches it (through pub/sub)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import websockets
from heavy.telemetry.dashboard import DASHBOARD_PATH
from heavy.testing.cluster import Cluster
from heavy.testing.page_driver import WebSocketPage
from reactpy.backend._common import STREAM_PATH

pytestmark = pytest.mark.server


@asynccontextmanager
async def dashboard(base_url: str) -> AsyncIterator[WebSocketPage]:
    """The dashboard's live page at ``base_url``, as a browser connects to it."""
    url = base_url.replace("http", "ws", 1) + f"{STREAM_PATH}{DASHBOARD_PATH}"
    async with websockets.connect(url, additional_headers={"Origin": base_url}) as connection:
        page = WebSocketPage(connection)
        await page.receive()
        yield page


def _instances(page: WebSocketPage) -> int:
    return page.layout.find(id="dash-instances").text.count(" pid ")


async def test_one_instance_s_dashboard_shows_both_instances_and_the_other_s_clicks(
    two_instances: Cluster,
) -> None:
    first, second = two_instances.instances
    async with dashboard(first.base_url) as board:
        await board.wait_until(lambda: _instances(board) == 2)
        async with WebSocketPage.open(second.base_url) as page:
            for _ in range(3):  # a handler that needs no database: it asks the browser to scroll
                await page.click("scroll-to-time")
                await page.receive()
            await board.wait_until(lambda: "scroll_to_time" in board.layout.find(id="dash-handlers").text)
            await board.wait_until(lambda: int(board.text("dash-open-pages")) >= 2)
