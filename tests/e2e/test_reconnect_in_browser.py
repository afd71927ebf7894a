"""An open page survives the server being killed and started again (any deploy or crash).

Each test runs its own server (the suite's shared one must not be killed), kills it with
SIGKILL while Chromium has a page open, starts it again on the same port, and checks what a
person sees: a "Reconnecting…" banner meanwhile, then the same page with their typed text.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from heavy.testing.browser import TIMEZONE
from heavy.testing.live_server import LiveServer, free_port
from heavy.testing.plugin import BrowserPage, suite_server_settings
from heavy.testing.product import ProductUnderTest
from playwright.async_api import Page, expect

from heavy_stack_testing.product import live_server

from tests.e2e.test_accounts_in_browser import sign_up_on_this_page

BANNER = "#heavy-connection-banner"


class RestartableServer:
    """A server on a fixed port that a test can kill -9 and start again."""

    def __init__(
        self, heavy_product: ProductUnderTest, database_urls: tuple[str, str], log_dir: Path
    ) -> None:
        # The suite's settings: its sign-ups from 127.0.0.1 on the test database are past a visitor's allowance.
        self.settings = suite_server_settings(heavy_product, database_urls)
        self.port = free_port()
        self.log_dir = log_dir
        self.starts = 0
        self._running: AbstractContextManager[LiveServer] | None = None
        self.server: LiveServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        log_path = self.log_dir / f"server-{self.starts}.log"
        self._running = live_server(self.settings, log_path, port=self.port)
        self.server = self._running.__enter__()

    def kill(self) -> None:
        assert self.server is not None
        assert self._running is not None
        self.server.process.kill()  # SIGKILL: no clean shutdown, as in a crash
        self.server.process.wait()
        self._running.__exit__(None, None, None)
        self._running = self.server = None

    def logs(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(self.log_dir.glob("*.log")))

    def close(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)


@pytest.fixture
def restartable(
    heavy_product: ProductUnderTest, database_urls: tuple[str, str], tmp_path: Path
) -> Iterator[RestartableServer]:
    server = RestartableServer(heavy_product, database_urls, tmp_path)
    server.start()
    yield server
    server.close()
    assert "Traceback" not in server.logs()


async def _open(browser_page: BrowserPage, restartable: RestartableServer, path: str) -> Page:
    page = browser_page.page
    await page.goto(restartable.base_url + path)
    await page.locator("#browser-timezone", has_text=TIMEZONE).or_(page.locator("h1")).first.wait_for()
    # The h1 is in the first paint too: wait until the page is live, or a kill that comes first
    # finds a page whose buttons are still the first paint's, which send nothing to refuse.
    await expect(page.locator("#heavy-first-paint")).to_have_count(0)
    # A marker that only lives as long as the document: a reload would lose it.
    await page.evaluate("window.sameDocument = true")
    return page


async def _kill_and_restart(page: Page, restartable: RestartableServer) -> float:
    """Kill the server, see the banner, start it again; seconds from ready to content again."""
    restartable.kill()
    await expect(page.locator(BANNER)).to_be_visible()
    await expect(page.locator(BANNER)).to_have_attribute("role", "status")
    restartable.start()
    back = time.monotonic()
    await expect(page.locator(BANNER)).to_be_hidden(timeout=15_000)
    return time.monotonic() - back


async def test_a_page_on_another_route_comes_back_with_working_links(
    browser_page: BrowserPage, restartable: RestartableServer
) -> None:
    page = await _open(browser_page, restartable, "/")
    await page.click("#to-other")  # a router link: the page changes without a reload
    await expect(page.locator("h1")).to_have_text("The other page")

    seconds = await _kill_and_restart(page, restartable)

    await expect(page.locator("h1")).to_have_text("The other page")
    await page.click("#to-landing")
    await expect(page.locator("h1")).to_have_text("The Heavy Stack")
    await expect(page.locator("#browser-timezone")).to_have_text(TIMEZONE)  # the new handshake's cookie
    assert await page.evaluate("window.sameDocument") is True
    print(f"\nreconnect to content after the server was back: {seconds:.2f} s")


async def test_a_click_while_the_server_is_down_is_refused_visibly(
    browser_page: BrowserPage, restartable: RestartableServer
) -> None:
    page = await _open(browser_page, restartable, "/")
    restartable.kill()
    await expect(page.locator(BANNER)).to_have_text("Reconnecting…")
    await page.click("#update-time")
    await expect(page.locator(BANNER)).to_contain_text("Your last action was not sent")
    restartable.start()
    await expect(page.locator(BANNER)).to_be_hidden(timeout=15_000)
    before = await page.locator("#server-time").inner_text()
    await page.click("#update-time")  # and once back, clicks work again
    await expect(page.locator("#server-time")).not_to_have_text(before)


async def _notes_page_signed_in_as(
    name: str, browser_page: BrowserPage, restartable: RestartableServer
) -> Page:
    page = await _open(browser_page, restartable, "/sign-up")
    await sign_up_on_this_page(page, name)
    await page.goto(restartable.base_url + "/notes")
    await expect(page.locator("#heavy-first-paint")).to_have_count(0)  # the live page is there
    return page


async def test_a_signed_in_draft_survives_a_restart_and_can_be_saved(
    browser_page: BrowserPage, restartable: RestartableServer
) -> None:
    page = await _notes_page_signed_in_as("Grace", browser_page, restartable)
    title = f"Unsaved {uuid.uuid4().hex[:6]}"
    await page.fill("#new-note-title", title)
    await page.fill("#new-note-body", "typed before the restart\nsecond line")

    await _kill_and_restart(page, restartable)

    await expect(page.locator("#signed-in-as")).to_have_text("Signed in as Grace")
    await expect(page.locator("#new-note-title")).to_have_value(title)
    await expect(page.locator("#new-note-body")).to_have_value("typed before the restart\nsecond line")
    await page.click("#new-note-submit")  # the new server has the text, not just the page
    await expect(page.locator("#note-list")).to_contain_text(title)


async def test_a_form_sent_while_the_server_is_down_keeps_what_was_typed(
    browser_page: BrowserPage, restartable: RestartableServer
) -> None:
    page = await _notes_page_signed_in_as("Hedy", browser_page, restartable)
    restartable.kill()
    await expect(page.locator(BANNER)).to_be_visible()
    title = f"Typed while down {uuid.uuid4().hex[:6]}"
    await page.fill("#new-note-title", title)
    await page.fill("#new-note-body", "and sent while down")
    await page.click("#new-note-submit")
    await expect(page.locator(BANNER)).to_contain_text("Your last action was not sent")

    restartable.start()
    await expect(page.locator(BANNER)).to_be_hidden(timeout=15_000)
    await expect(page.locator("#new-note-title")).to_have_value(title)
    await expect(page.locator("#new-note-body")).to_have_value("and sent while down")
    await page.click("#new-note-submit")  # sent again, now that the page is back
    await expect(page.locator("#note-list")).to_contain_text(title)


async def test_a_message_closed_as_too_big_reconnects_to_the_same_page_once(
    browser_page: BrowserPage, restartable: RestartableServer
) -> None:
    page = await _open(browser_page, restartable, "/")
    sockets: list[object] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    # Typing past the server's message limit: the server closes the socket (1009).
    await page.locator("#echo-input").press_sequentially("a")
    await page.evaluate(
        """() => {
            const input = document.getElementById("echo-input");
            const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
            setter.call(input, "x".repeat(400 * 1024));
            input.dispatchEvent(new InputEvent("input", { bubbles: true }));
        }"""
    )
    await expect(page.locator(BANNER)).to_be_visible()
    await expect(page.locator(BANNER)).to_be_hidden(timeout=15_000)
    await expect(page.locator("h1")).to_have_text("The Heavy Stack")
    await page.wait_for_timeout(2_000)  # a page typing the big value again would drop again
    assert len(sockets) == 1
    assert "over" in restartable.logs()  # the server said why it closed the connection
