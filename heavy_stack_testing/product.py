"""This product as the framework's test tools see it, and those tools bound to it."""

from __future__ import annotations

from functools import partial

from heavy.testing import browser
from heavy.testing import live_server as servers
from heavy.testing.browser import TIMEZONE
from heavy.testing.product import ProductUnderTest
from playwright.async_api import Page

from heavy_stack.settings import PROJECT_ROOT, Settings


async def page_ready(page: Page) -> None:
    """The page is live once Brython has told the server the browser's time zone."""
    await page.locator("#browser-timezone", has_text=TIMEZONE).wait_for()


PRODUCT = ProductUnderTest(module="heavy_stack", settings=Settings, root=PROJECT_ROOT, page_ready=page_ready)
CHROMIUM_VARIABLE = PRODUCT.test_variable("CHROMIUM")

# ``live_server(settings, log_path, ...)``: this product's server (``python -m heavy_stack``).
live_server = partial(servers.live_server, PRODUCT)
# The Chromium of ``<PREFIX>TEST_CHROMIUM``, else the machine's.
launch_chromium = partial(browser.launch_chromium, variable=CHROMIUM_VARIABLE)
chromium_executable = partial(browser.chromium_executable, variable=CHROMIUM_VARIABLE)
