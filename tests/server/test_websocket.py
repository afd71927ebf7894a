"""The real server over a real websocket, as a browser uses it."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from heavy.live.addresses import STREAM_PATH
from heavy.testing.cookie_browser import CookieBrowser
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage
from websockets.asyncio.client import ClientConnection

pytestmark = pytest.mark.server

CONCURRENT_SESSIONS = 50


async def test_landing_page_renders_and_its_button_updates_the_time(server: LiveServer) -> None:
    async with WebSocketPage.open(server.base_url) as page:
        assert page.layout.find(tag="h1").text == "The Heavy Stack"
        await page.wait_for_text("current-user", "Demo User")
        before = page.text("server-time")
        await page.click("update-time")
        await page.wait_until(lambda: page.text("server-time") != before)


async def test_navigation_to_the_other_page_over_the_websocket(server: LiveServer) -> None:
    async with WebSocketPage.open(server.base_url, "/other") as page:
        assert page.layout.find(tag="h1").text == "The other page"
        await page.follow_link("to-landing")
        await page.wait_for_element("update-time")


async def test_concurrent_sessions_each_get_their_own_layout_and_updates(server: LiveServer) -> None:
    """Regression: stock ReactPy 1.1 closes sessions that render at once on Sanic's one thread."""

    async def one_user(number: int) -> str:
        async with WebSocketPage.open(server.base_url, timeout=30) as page:
            await page.type("echo-input", f"user {number}")
            await page.submit("echo-form")
            await page.wait_for_text("echo-result", f"You said: user {number}", timeout=30)
            return page.text("echo-result")

    results = await asyncio.gather(*(one_user(n) for n in range(CONCURRENT_SESSIONS)))

    assert results == [f"You said: user {n}" for n in range(CONCURRENT_SESSIONS)]


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        b"\xff\xfe binary garbage",
        json.dumps(["a", "list"]),
        json.dumps({"type": "something-else"}),
        json.dumps({"type": "layout-event", "target": 42, "data": []}),
    ],
    ids=["not-json", "binary", "list", "unknown-type", "bad-target"],
)
async def test_a_malformed_frame_closes_only_its_own_connection(
    server: LiveServer, frame: str | bytes
) -> None:
    logged_before = server.log().count("malformed message")
    async with WebSocketPage.open(server.base_url) as bystander:
        async with websockets.connect(server.base_url.replace("http", "ws", 1) + STREAM_PATH) as attacker:
            await attacker.recv()
            await attacker.send(frame)
            with pytest.raises(websockets.ConnectionClosed):
                await _read_until_closed(attacker)

        before = bystander.text("server-time")
        await bystander.click("update-time")
        await bystander.wait_until(lambda: bystander.text("server-time") != before)
    assert server.log().count("malformed message") == logged_before + 1


async def _read_until_closed(socket: ClientConnection, timeout: float = 10) -> None:
    """Drain what the server had already sent; raises ConnectionClosed once it closes."""
    async with asyncio.timeout(timeout):
        while True:
            await socket.recv()


async def test_closing_a_page_with_events_in_flight_logs_no_traceback(server: LiveServer) -> None:
    for _ in range(20):
        async with WebSocketPage.open(server.base_url) as page:
            for _ in range(5):  # sent, and the tab is gone before the answers
                await page.click("update-time")
                await page.click("read-user")
    await asyncio.sleep(0.5)
    log = server.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 300 :][:3000]


@pytest.mark.parametrize("delay_ms", [None, 0.0, 0.5, 1.0, 2.0])
async def test_a_rename_sent_just_before_the_tab_closes_is_stored(
    server: LiveServer, delay_ms: float | None
) -> None:
    """The tab closes while the save is inside its transaction, at several moments of it, or
    (None) right behind the save, so that the server reads both at once: the save ends
    (committed, nothing half-done), the next page shows it, and the log has no traceback."""
    browser = CookieBrowser(server.base_url)
    for attempt in range(8):
        async with browser.open_page("/") as page:
            await page.wait_for_text("current-user", "@")
            await page.type("rename-input", f"Closed at {delay_ms} ms, {attempt}")
            await page.submit("rename-form")
            if delay_ms is not None:
                # Once this later click is answered, the server has read the submit and started it.
                await _update_the_time(page)
                await asyncio.sleep(delay_ms / 1000)
        async with browser.open_page("/") as page:
            await page.wait_for_text("current-user", f"Closed at {delay_ms} ms, {attempt} <")
    log = server.log()
    assert "Traceback" not in log, log[log.index("Traceback") - 300 :][:3000]


async def _update_the_time(page: WebSocketPage) -> None:
    before = page.text("server-time")
    await page.click("update-time")
    await page.wait_until(lambda: page.text("server-time") != before)


BURST = 150  # events sent without waiting: more than the server keeps queued before it pauses reading


async def test_pings_fragmented_messages_and_a_burst_of_events_reach_the_page_in_order(
    server: LiveServer,
) -> None:
    async with WebSocketPage.open(server.base_url) as page:
        pong = await page.connection.ping()
        await asyncio.wait_for(pong, 10)  # answered while the page is live

        # One event in three frames, as a client may send it: the page acts on the whole.
        before = page.text("server-time")
        click = json.dumps({"type": "layout-event", "target": _target(page, "update-time"), "data": [{}]})
        await page.connection.send(iter([click[:10], click[10:30], click[30:]]))
        await page.wait_until(lambda: page.text("server-time") != before)

        # A burst, sent before any answer: every event arrives, in order (the last typed wins).
        typing_target = page.layout.find(id="echo-input").target("onChange")
        for number in range(BURST):
            await page.send_event(typing_target, {"target": {"value": f"typed {number}"}})
        await page.submit("echo-form")
        await page.wait_for_text("echo-result", f"You said: typed {BURST - 1}", timeout=30)
        await page.connection.ping()
    assert "Traceback" not in server.log()


def _target(page: WebSocketPage, id: str) -> str:
    return page.layout.find(id=id).target("onClick")
