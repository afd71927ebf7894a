"""A page that closes leaves nothing behind in the server (issue 26: memory that only grew).

Pages of several routes are opened over real websockets against the shared server, clicked,
then closed: half with a close handshake, half dropped (the TCP connection aborted, as a lost
network does, which cancels the page's serving mid-way). Once they are gone the server's
``/_heavy/census`` (``heavy.live_census``) must show no more
layouts, component or element states, hooks, Sanic websockets, presence watchers or topic
subscriptions than before they opened, counted without running the cycle collector first: a
closed page is freed by reference counting as it closes (``LiveHook.forget``,
``LiveWebSocketProtocol``), not left to a collection the server runs seldom.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from contextlib import AsyncExitStack

import pytest
from heavy import CENSUS_PATH
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage

pytestmark = pytest.mark.server

ROUTES = ["/", "/", "/", "/other", "/sign-in", "/sign-up", "/", "/no-such-page"]
# What a closed page must have given back (the census also counts tasks, which the server's
# own jobs start and end meanwhile).
PER_PAGE = ["layouts", "layout_objects", "component_states", "element_states", "websockets"]
SHARED = ["presence_watchers", "subscriptions"]
WAIT_SECONDS = 30.0  # far more than closing pages or a ping round take, on a loaded machine


def census(server: LiveServer, *, collect: bool = True) -> dict[str, int]:
    query = "" if collect else "?collect=no"
    with urllib.request.urlopen(server.base_url + CENSUS_PATH + query, timeout=10) as answer:
        counts: dict[str, int] = json.load(answer)
        return counts


async def test_closed_and_dropped_pages_free_their_objects(server: LiveServer) -> None:
    # The server is shared by the tests of this worker, which run one after another: a page
    # still open now is one an earlier test closed that is still going away.
    await census_once(server, lambda counts: counts["layouts"] == 0)
    before = await asyncio.to_thread(census, server)
    async with AsyncExitStack() as pages_open:
        pages = [
            await pages_open.enter_async_context(WebSocketPage.open(server.base_url, route))
            for route in ROUTES
        ]
        shown = pages[0].text("server-time")
        await pages[0].click("update-time")  # a handler and a re-render before the close
        await pages[0].wait_until(lambda: pages[0].text("server-time") != shown)
        opened = await asyncio.to_thread(census, server)
        assert opened["layouts"] >= before["layouts"] + len(ROUTES)
        assert opened["component_states"] > before["component_states"]
        assert opened["presence_watchers"] > before["presence_watchers"]  # the online count
        for page in pages[1::2]:
            page.connection.transport.abort()  # dropped: no close handshake
    left = await census_once(
        server, lambda counts: all(counts[key] <= before[key] for key in PER_PAGE + SHARED)
    )
    grown = {key: (before[key], left[key]) for key in PER_PAGE + SHARED if left[key] > before[key]}
    assert not grown, f"closed pages left objects behind (before, after): {grown}"


async def census_once(server: LiveServer, settled: Callable[[dict[str, int]], bool]) -> dict[str, int]:
    """The census, uncollected, once ``settled`` says so (closing pages take a moment), or the
    last one after ``WAIT_SECONDS``."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        counts = await asyncio.to_thread(census, server, collect=False)
        if settled(counts) or asyncio.get_running_loop().time() > deadline:
            return counts
        await asyncio.sleep(0.2)
