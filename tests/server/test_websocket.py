"""The real server over a real websocket, as a browser uses it."""

from __future__ import annotations

import asyncio

import pytest

from heavy_stack.testing.layout_session import WebSocketSession
from heavy_stack.testing.live_server import LiveServer

pytestmark = pytest.mark.server

CONCURRENT_SESSIONS = 50


async def test_landing_page_renders_and_its_button_updates_the_time(server: LiveServer) -> None:
    async with WebSocketSession.open(server.base_url) as page:
        assert page.layout.find(tag="h1").text == "The Heavy Stack"
        await page.wait_for_text("current-user", "Demo User")
        before = page.text("server-time")
        await page.click("update-time")
        await page.wait_until(lambda: page.text("server-time") != before)


async def test_navigation_to_the_other_page_over_the_websocket(server: LiveServer) -> None:
    async with WebSocketSession.open(server.base_url, "/other") as page:
        assert page.layout.find(tag="h1").text == "The other page"
        await page.follow_link("to-landing")
        await page.wait_for_element("update-time")


async def test_concurrent_sessions_each_get_their_own_layout_and_updates(server: LiveServer) -> None:
    """Regression: stock ReactPy 1.1 closes sessions that render at once on Sanic's one thread."""

    async def one_user(number: int) -> str:
        async with WebSocketSession.open(server.base_url, timeout=30) as page:
            await page.type("echo-input", f"user {number}")
            await page.submit("echo-form")
            await page.wait_for_text("echo-result", f"You said: user {number}", timeout=30)
            return page.text("echo-result")

    results = await asyncio.gather(*(one_user(n) for n in range(CONCURRENT_SESSIONS)))

    assert results == [f"You said: user {n}" for n in range(CONCURRENT_SESSIONS)]
