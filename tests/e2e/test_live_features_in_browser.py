"""Live features across ``make cluster``'s two instances, in Chromium: the online count (presence)
agrees on both and follows a killed instance; a note changed in one browser reaches the other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from heavy.testing.browser import TIMEZONE
from heavy.testing.cluster import Cluster
from playwright.async_api import Browser, ConsoleMessage, Page, expect

# Presence heartbeats every second and forgets an instance 3.5 s after its last: a killed
# instance's pages drop out well within this.
FOLLOWS_WITHIN_MS = 10_000


class Pages:
    """Browser pages opened by a test, each in a context of its own; console errors collected."""

    def __init__(self, browser: Browser, stack: AsyncExitStack) -> None:
        self.browser = browser
        self.stack = stack
        self.console_errors: dict[Page, list[str]] = {}

    async def open(self, base_url: str, path: str = "/") -> Page:
        context = await self.browser.new_context(timezone_id=TIMEZONE, base_url=base_url)
        self.stack.push_async_callback(context.close)
        page = await context.new_page()
        errors = self.console_errors[page] = []

        def remember(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", remember)
        await page.goto(base_url + path)
        await expect(page.locator("#online-count")).to_be_visible()
        return page


@asynccontextmanager
async def browser_pages(browser: Browser) -> AsyncIterator[Pages]:
    async with AsyncExitStack() as stack:
        yield Pages(browser, stack)


async def online(page: Page) -> int:
    text = await page.locator("#online-count").inner_text()
    return int(text.removesuffix(" online"))


async def all_show(pages: list[Page], count: int) -> None:
    for page in pages:
        await expect(page.locator("#online-count")).to_have_text(f"{count} online", timeout=FOLLOWS_WITHIN_MS)


async def test_the_online_count_agrees_across_instances_and_follows_a_killed_one(
    two_instances: Cluster, browser: Browser
) -> None:
    first, second = (instance.base_url for instance in two_instances.instances)
    async with browser_pages(browser) as pages:
        on_first = [await pages.open(first), await pages.open(first, "/sign-in")]
        await all_show(on_first, await online(on_first[0]))
        before = await online(on_first[0])

        on_second = await pages.open(second)
        await all_show([*on_first, on_second], before + 1)

        two_instances.kill(1)  # no goodbye: its pages drop out when its heartbeats stop
        try:
            await all_show(on_first, before)
        finally:
            await on_second.context.close()  # else it reconnects to the restarted instance
            two_instances.restart(1)
        again = await pages.open(two_instances.instances[1].base_url)
        await all_show([*on_first, again], before + 1)

        await on_first[1].context.close()  # a closed tab leaves the count at once
        await all_show([on_first[0], again], before)
        # The killed instance's page could not reconnect (said in its console); no other page
        # logged an error.
        assert [pages.console_errors[page] for page in [*on_first, again]] == [[], [], []]
