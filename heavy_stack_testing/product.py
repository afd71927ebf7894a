"""This product as the framework's test tools see it, and those tools bound to it."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from heavy.testing import browser
from heavy.testing import live_server as servers
from heavy.testing.browser import TIMEZONE
from heavy.testing.product import ProductUnderTest
from heavy.web.first_paint import FIRST_PAINT_ID
from playwright.async_api import Browser, Page, async_playwright

from heavy_stack.settings import PROJECT_ROOT, Settings


async def page_ready(page: Page) -> None:
    """The page is live once its first paint has made way for the live layout (a later
    visit's first paint shows the time zone already: heavy's cookie), which shows the
    browser's time zone."""
    await page.locator(f"#{FIRST_PAINT_ID}").wait_for(state="detached")
    await page.locator("#browser-timezone", has_text=TIMEZONE).wait_for()


PRODUCT = ProductUnderTest(
    module="heavy_stack",
    settings=Settings,
    root=PROJECT_ROOT,
    page_ready=page_ready,
    server_settings={
        # The suite signs up far more than a visitor's allowance of accounts from 127.0.0.1 in
        # one window (run in two processes, faster still); the limit itself is tested on its own
        # settings.
        "SIGN_UPS_PER_ADDRESS": "10000",
        # The shared server's note catch-up runs at its start, then not again during a run: it
        # drops the vectors of notes it cannot see, and the notes of the in-process tests on the
        # same databases are never committed (a catch-up between a test's save and its checks
        # took that test's vectors away). Catch-up timing is tested on a server of its own.
        "EMBEDDING_RETRY_SECONDS": "3600",
    },
)
CHROMIUM_VARIABLE = PRODUCT.test_variable("CHROMIUM")

# ``live_server(settings, log_path, ...)``: this product's server (``python -m heavy_stack``).
live_server = partial(servers.live_server, PRODUCT)
# The Chromium of ``<PREFIX>TEST_CHROMIUM``, else the machine's.
launch_chromium = partial(browser.launch_chromium, variable=CHROMIUM_VARIABLE)
chromium_executable = partial(browser.chromium_executable, variable=CHROMIUM_VARIABLE)


@asynccontextmanager
async def throwaway_app_in_chromium(prefix: str) -> AsyncIterator[tuple[str, Browser]]:
    """The app served as ``make run`` serves it, on an embedded PostgreSQL of its own in a
    temporary folder (the developer's database is not touched), and a headless Chromium: the base
    URL and the browser, for scripts that show pages (screenshots)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        log = Path(folder) / "server.log"
        with live_server({"DATA_DIR": str(Path(folder) / "data")}, log) as server:
            async with async_playwright() as playwright:
                chromium = await launch_chromium(playwright)
                try:
                    yield server.base_url, chromium
                finally:
                    await chromium.close()
