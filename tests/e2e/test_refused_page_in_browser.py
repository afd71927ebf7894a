"""A page the server refuses to connect says why and what to set, instead of "Reconnecting…".

Chromium resolves a name the server does not know (``devbox.example``, as a proxy's or a
Codespace's address would be) to the server, so the handshake is refused with a bare 403 that
the page cannot read. The page must show the server's answer, naming the setting and its value;
with that setting the same address goes live.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from heavy.data.db_connection import Database
from heavy.testing.browser import CHROMIUM_ARGS, NoChromiumError
from heavy.testing.live_server import LiveServer, free_port
from playwright.async_api import Browser, Page, WebSocket, async_playwright, expect

from heavy_stack.settings import Settings
from heavy_stack_testing.product import chromium_executable, live_server

BANNER = "#heavy-connection-banner"
DEVBOX = "devbox.example"


@pytest.fixture(scope="module")
async def devbox_browser() -> AsyncIterator[Browser]:
    """A headless Chromium where ``devbox.example`` is this machine."""
    async with async_playwright() as playwright:
        try:
            executable = chromium_executable(playwright)
        except NoChromiumError as error:
            pytest.fail(str(error))
        browser = await playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {DEVBOX} 127.0.0.1"]
        )
        yield browser
        await browser.close()


@pytest.fixture
async def page(devbox_browser: Browser) -> AsyncIterator[Page]:
    context = await devbox_browser.new_context()
    yield await context.new_page()
    await context.close()


@pytest.fixture
def port() -> int:
    return free_port()


def serve(database_urls: tuple[str, str], log_path: Path, port: int, **settings: str) -> Iterator[LiveServer]:
    sql_url, vector_url = database_urls
    with live_server(
        {"SQL_DB_URL": sql_url, "VECTOR_DB_URL": vector_url, **settings}, log_path, port=port
    ) as server:
        yield server


@pytest.fixture
def plain_server(
    database_urls: tuple[str, str], database: Database, tmp_path: Path, port: int
) -> Iterator[LiveServer]:
    """The server with no setting for the devbox address."""
    yield from serve(database_urls, tmp_path / "plain.log", port)


def stream_sockets(page: Page) -> list[WebSocket]:
    opened: list[WebSocket] = []
    page.on("websocket", lambda socket: opened.append(socket) if "/_reactpy/stream" in socket.url else None)
    return opened


async def test_a_refused_page_names_the_setting_and_does_not_spin(
    page: Page, plain_server: LiveServer, port: int
) -> None:
    sockets = stream_sockets(page)
    await page.goto(f"http://{DEVBOX}:{port}/")
    banner = page.locator(BANNER)
    fix = f"{Settings.variable('allowed_origins')}=http://{DEVBOX}:{port}"
    await expect(banner).to_contain_text(f"set {fix} (in .env) and restart the server")
    await expect(banner).to_have_attribute("role", "alert")
    await expect(page.locator("h1")).to_have_text("The Heavy Stack")  # the first paint stays readable
    await page.click("#update-time")  # a click while refused changes nothing: the message stays
    await page.wait_for_timeout(4_000)  # past the grace period after which a page reloads itself
    await expect(banner).to_contain_text(fix)
    await expect(banner).not_to_contain_text("Reconnecting")
    assert await page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    assert len(sockets) == 1  # tried once, not in a loop
    log = plain_server.log()
    warnings = [line for line in log.splitlines() if "Refused a websocket" in line]
    assert len(warnings) == 1
    assert f"set {fix}" in warnings[0]
    assert "Traceback" not in log


async def test_the_setting_the_page_names_lets_the_address_go_live(
    page: Page, database_urls: tuple[str, str], database: Database, tmp_path: Path, port: int
) -> None:
    for server in serve(
        database_urls, tmp_path / "fixed.log", port, ALLOWED_ORIGINS=f"http://{DEVBOX}:{port}"
    ):
        await page.goto(f"http://{DEVBOX}:{port}/")
        await expect(page.locator("#heavy-first-paint")).to_have_count(0)  # the live page took over
        before = await page.locator("#server-time").inner_text()
        await page.click("#update-time")
        await expect(page.locator("#server-time")).not_to_have_text(before)
        await expect(page.locator(BANNER)).to_have_count(0)
        assert "Refused a websocket" not in server.log()
