"""The visitor's time zone comes with the page request and the websocket handshake (heavy's
cookie): the live page shows it from its first render, a later visit's first paint too."""

from __future__ import annotations

import urllib.request

import pytest
from heavy import TIME_ZONE_COOKIE
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import WebSocketPage

ZONE = "Pacific/Chatham"  # +12:45: no other zone's offset
UNKNOWN = "asking your browser…"


def first_paint(server: LiveServer, cookie: str) -> str:
    request = urllib.request.Request(server.base_url + "/", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


async def test_the_zone_cookie_reaches_the_first_paint_and_the_live_page(server: LiveServer) -> None:
    cookie = f"{TIME_ZONE_COOKIE}={ZONE}"
    assert f'<strong id="browser-timezone">{ZONE}</strong>' in first_paint(server, cookie)
    async with WebSocketPage.open(server.base_url, "/", headers={"Cookie": cookie}) as page:
        await page.wait_for_text("browser-timezone", ZONE)
        assert page.text("server-time").endswith(ZONE)


@pytest.mark.parametrize("value", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 300])
async def test_a_zone_cookie_naming_no_zone_shows_utc(server: LiveServer, value: str) -> None:
    cookie = f"{TIME_ZONE_COOKIE}={value}"
    assert f'<strong id="browser-timezone">{UNKNOWN}</strong>' in first_paint(server, cookie)
    async with WebSocketPage.open(server.base_url, "/", headers={"Cookie": cookie}) as page:
        await page.wait_for_element("server-time")
        assert page.text("browser-timezone") == UNKNOWN
        assert page.text("server-time").endswith("UTC")
    assert "Traceback" not in server.log()
