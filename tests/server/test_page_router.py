"""A live page shows its page in its first update, with no round trip first.

The stream's path is the page's (``/_reactpy/stream/other`` for ``/other``), so the router
renders that page at once. The browser's router then reports the location it is at (History does
when it mounts, and the page script at once): that report changes nothing, while a report of
another location (back and forward) shows that page.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from heavy.live.addresses import stream_path
from heavy.stream.layout_mirror import LayoutMirror
from heavy.testing.live_server import LiveServer
from heavy.web.router import HISTORY_EVENT

from heavy_stack.frontend.app_root import PAGE_TITLE_ID

pytestmark = pytest.mark.server
ANSWER_TIMEOUT_S = 10.0

# A page's address, as the browser has it, and the start of its window title ("" for the
# landing page, whose title is the app's alone).
PAGES = {
    "/": "",
    "/other": "The other page ·",
    "/sign-in?next=%2Fnotes": "Sign in ·",
    "/caf%C3%A9": "Page not found ·",
    "/no/such/page": "Page not found ·",
}


def title_of(layout: LayoutMirror) -> str:
    return str(layout.find(id=PAGE_TITLE_ID).attributes["data-title"])


def location_report(layout: LayoutMirror, address: str) -> str:
    pathname, mark, query = address.partition("?")
    target = layout.find_handler(HISTORY_EVENT).target(HISTORY_EVENT)
    data = [{"pathname": pathname, "search": mark + query}]
    return json.dumps({"type": "layout-event", "target": target, "data": data})


async def next_update(socket: Any, layout: LayoutMirror) -> bool:
    """Apply the next update to ``layout``; whether it rendered the router again."""
    update = json.loads(await asyncio.wait_for(socket.recv(), ANSWER_TIMEOUT_S))
    layout.apply(update)
    return _holds_history(update.get("model"))


def _holds_history(model: Any) -> bool:
    if not isinstance(model, dict):
        return False
    if HISTORY_EVENT in model.get("eventHandlers", {}):
        return True
    return any(_holds_history(child) for child in model.get("children", []))


@pytest.mark.parametrize("address", list(PAGES))
async def test_the_first_update_shows_the_page_and_the_report_of_its_location_changes_nothing(
    server: LiveServer, address: str
) -> None:
    url = server.base_url.replace("http", "ws", 1) + stream_path(address)
    async with websockets.connect(url, additional_headers={"Origin": server.base_url}) as socket:
        layout = LayoutMirror()
        assert await next_update(socket, layout)
        title = title_of(layout)
        assert title.startswith(PAGES[address]), title
        assert ("·" in title) == bool(PAGES[address])

        # The report of this location, then of another: the router renders once, for the
        # other (the page's own updates, such as a form's, may come between).
        elsewhere = "/other" if address == "/" else "/"
        await socket.send(location_report(layout, address))
        await socket.send(location_report(layout, elsewhere))
        router_renders = 0
        while title_of(layout) == title:
            router_renders += await next_update(socket, layout)
        assert title_of(layout).startswith(PAGES[elsewhere])
        assert router_renders == 1
