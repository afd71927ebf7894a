"""Live features across ``make cluster``'s two instances, in Chromium: the online count (presence)
agrees on both and follows a killed instance; a note changed in one browser reaches the other."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from heavy import Database
from heavy.testing.browser import TIMEZONE
from heavy.testing.cluster import Cluster
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from heavy_stack.frontend.pages.notes import CHANGED_ELSEWHERE, UPDATED_FROM_ELSEWHERE

from tests.e2e.test_accounts_in_browser import sign_up_on_this_page

# The instances share the test databases: their tables paved first (``database``, before the
# cluster in each test's arguments).

# Presence heartbeats every second and forgets an instance 3.5 s after its last: a killed
# instance's pages drop out well within this.
FOLLOWS_WITHIN_MS = 10_000


class Pages:
    """Browser pages opened by a test, each in a context of its own; console errors collected."""

    def __init__(self, browser: Browser, stack: AsyncExitStack) -> None:
        self.browser = browser
        self.stack = stack
        self.console_errors: dict[Page, list[str]] = {}

    async def open(self, base_url: str, path: str = "/", *, like: Page | None = None) -> Page:
        """A new browser at ``path``; ``like``: with that page's cookies (the same user)."""
        context = await self.browser.new_context(timezone_id=TIMEZONE, base_url=base_url)
        if like is not None:
            await context.add_cookies(await like.context.cookies())  # type: ignore[arg-type]
        self.stack.push_async_callback(context.close)
        page = await context.new_page()
        errors = self.console_errors[page] = []

        def remember(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", remember)
        await page.goto(base_url + path)
        # Live: the page script has replaced the server's first paint with the live page.
        await page.locator("#heavy-first-paint").wait_for(state="detached")
        await expect(page.locator("#online-count")).to_be_visible()
        return page


@asynccontextmanager
async def browser_pages(browser: Browser) -> AsyncIterator[Pages]:
    async with AsyncExitStack() as stack:
        yield Pages(browser, stack)


async def online(page: Page) -> int:
    text = await page.locator("#online-count").inner_text()
    return int(text.removesuffix(" online"))


async def agreed(pages: list[Page]) -> int:
    """The count ``pages`` show once they all show the same (a page hears of one opened after
    it within a second)."""
    async with asyncio.timeout(FOLLOWS_WITHIN_MS / 1000):
        while len(counts := {await online(page) for page in pages}) > 1:  # noqa: ASYNC110 - the pages, polled
            await asyncio.sleep(0.1)
    return counts.pop()


async def all_show(pages: list[Page], count: int) -> None:
    for page in pages:
        await expect(page.locator("#online-count")).to_have_text(f"{count} online", timeout=FOLLOWS_WITHIN_MS)


async def test_the_online_count_agrees_across_instances_and_follows_a_killed_one(
    database: Database, two_instances: Cluster, browser: Browser
) -> None:
    first, second = (instance.base_url for instance in two_instances.instances)
    async with browser_pages(browser) as pages:
        on_first = [await pages.open(first), await pages.open(first, "/sign-in")]
        both = await agreed(on_first)  # these two, and any other page still open

        on_second = await pages.open(second)
        await all_show([*on_first, on_second], both + 1)

        two_instances.kill(1)  # no goodbye: its pages drop out when its heartbeats stop
        try:
            await all_show(on_first, both)
        finally:
            await on_second.context.close()  # else it reconnects to the restarted instance
            two_instances.restart(1)
        again = await pages.open(two_instances.instances[1].base_url)
        await all_show([*on_first, again], both + 1)

        await on_first[1].context.close()  # a closed tab leaves the count at once
        await all_show([on_first[0], again], both)
        # The killed instance's page could not reconnect (said in its console); no other page
        # logged an error.
        assert [pages.console_errors[page] for page in [*on_first, again]] == [[], [], []]


async def a_note_of_a_new_user(page: Page, base_url: str) -> str:
    """Sign up on ``page`` (at the sign-up page), add a note, open it; its path."""
    await sign_up_on_this_page(page, "Ada")
    await page.goto(base_url + "/notes")
    await page.fill("#new-note-title", "Groceries")
    await page.fill("#new-note-body", "milk")
    await page.click("#new-note-submit")
    link = page.locator("#note-list a").first
    await expect(link).to_have_text("Groceries")
    path = await link.get_attribute("href")
    assert path is not None
    await link.click()
    await expect(page.locator("#note-body")).to_have_value("milk")
    return path


async def saved_then_shown(writer: Page, readers: list[Page], body: str) -> list[float]:
    """Save ``body`` on ``writer``; seconds until each reader's page showed it (waited for at once)."""
    await writer.fill("#note-body", body)
    started = time.perf_counter()
    await writer.click("#note-save")

    async def shown(reader: Page) -> float:
        await expect(reader.locator("#note-body")).to_have_value(body)
        return time.perf_counter() - started

    seconds = await asyncio.gather(*(shown(reader) for reader in readers))
    await expect(writer.locator("#note-message")).to_have_text("Saved.")
    return seconds


async def test_a_note_changed_in_one_browser_updates_another_on_the_other_instance(
    database: Database, two_instances: Cluster, browser: Browser
) -> None:
    first, second = (instance.base_url for instance in two_instances.instances)
    async with browser_pages(browser) as pages:
        # Signed up through the proxy (the instances take the client's address from it).
        writer = await pages.open(two_instances.base_url, "/sign-up")
        path = await a_note_of_a_new_user(writer, first)
        other_instance = await pages.open(second, path, like=writer)
        same_instance = await pages.open(first, path, like=writer)
        for page in (writer, other_instance, same_instance):
            await expect(page.locator("#note-open-elsewhere")).to_have_text(
                "Also open in 2 other pages right now.", timeout=FOLLOWS_WITHIN_MS
            )

        across, here = [], []
        for round_ in range(5):
            to_other, to_same = await saved_then_shown(
                writer, [other_instance, same_instance], f"milk {round_}"
            )
            across.append(to_other)
            here.append(to_same)
        await expect(other_instance.locator("#note-message")).to_have_text(UPDATED_FROM_ELSEWHERE)
        print(
            f"\nsave -> other browser shows it (Playwright polling included), median of 5: "
            f"other instance {statistics.median(across) * 1000:.0f} ms, "
            f"same instance {statistics.median(here) * 1000:.0f} ms"
        )

        # Unsaved edits on the other instance: kept, and a choice offered.
        await other_instance.fill("#note-body", "my unsaved line")
        await writer.fill("#note-body", "their line")
        await writer.click("#note-save")
        notice = other_instance.locator("#note-changed-elsewhere")
        await expect(notice).to_contain_text(CHANGED_ELSEWHERE)
        await expect(other_instance.locator("#note-body")).to_have_value("my unsaved line")
        await other_instance.click("#note-load-theirs")
        await expect(other_instance.locator("#note-body")).to_have_value("their line")
        await expect(notice).to_be_hidden()

        await same_instance.context.close()
        await expect(writer.locator("#note-open-elsewhere")).to_have_text(
            "Also open in 1 other page right now.", timeout=FOLLOWS_WITHIN_MS
        )
        assert all(errors == [] for errors in pages.console_errors.values())
