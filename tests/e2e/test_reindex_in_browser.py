""" "Re-index all my notes" on ``make cluster``'s two instances, in a real Chromium: the progress
reaches the page, shows again after a reload and after both instances are killed and started
again (the run is picked up again and finishes), and Cancel stops a run and says so.

The cluster's instances pause after each note (``REINDEX_PAUSE_SECONDS``, tests/conftest.py) so
the run lasts long enough to be watched; nothing here waits on a clock: every wait is for the
page to show something.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from heavy import Database
from heavy.testing.browser import TIMEZONE
from heavy.testing.cluster import Cluster
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_accounts_in_browser import sign_up_on_this_page

NOTES = 6
# A run outlives two instance restarts only because it starts again; give each wait room.
LONG_WAIT_MS = 60_000
RELOAD_TRIES = 60
OUTAGE = re.compile(r"WebSocket connection to .* failed|502 \(Bad Gateway\)")
BETWEEN_NOTES = re.compile(r"^[1-9][0-9]?$")  # 1-99: under way, neither queued nor done


@dataclass
class ClusterPage:
    page: Page
    console: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        """What the browser logged as errors, but for a page losing its server while both
        instances are down (the proxy answers 502 until one is back)."""
        return [line for line in self.console if line.startswith("error:") and not OUTAGE.search(line)]


@pytest.fixture
async def cluster_page(
    browser: Browser, two_instances: Cluster, database: Database
) -> AsyncIterator[ClusterPage]:
    """A signed-in user with a few notes, on the notes page, through the cluster's proxy."""
    context = await browser.new_context(base_url=two_instances.base_url, timezone_id=TIMEZONE)
    page = await context.new_page()
    watched = ClusterPage(page)
    page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))
    await page.goto("/notes")  # needs a user: goes to sign in (the page is live), then comes back
    await page.click("#to-sign-up-from-sign-in")
    await sign_up_on_this_page(page, "Rei")
    await expect(page.locator("h1")).to_have_text("Your notes")
    for number in range(1, NOTES + 1):
        await page.fill("#new-note-title", f"Note {number}")
        await page.fill("#new-note-body", f"The text of note number {number}, about re-indexing.")
        await page.click("#new-note-submit")
        await expect(page.locator("#note-message")).to_have_text(f"Added “Note {number}”.")
    yield watched
    await context.close()
    assert watched.errors() == []


async def reload_once_served(page: Page) -> None:
    """Reload until the proxy serves the page again: after an outage nginx may answer 502 for a
    moment, until it tries the restarted instances again."""
    for _ in range(RELOAD_TRIES):
        response = await page.reload()
        if response is not None and response.ok:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"the proxy did not serve the page after {RELOAD_TRIES} reloads")


async def notes_loaded(page: Page) -> None:
    """The notes page is live: its effects have loaded the notes (the first paint says "Loading…")."""
    await expect(page.locator("#note-list")).to_contain_text("Note 1")


async def test_progress_reaches_the_page_and_survives_a_reload_and_a_restart_of_the_instances(
    cluster_page: ClusterPage, two_instances: Cluster
) -> None:
    page = cluster_page.page
    bar = page.get_by_role("progressbar", name="Re-index progress")
    await page.click("#reindex-start")
    await expect(bar).to_have_attribute("aria-valuenow", BETWEEN_NOTES, timeout=LONG_WAIT_MS)
    await expect(page.locator("#reindex-status")).to_have_text(re.compile(rf"of {NOTES} notes re-indexed"))

    await page.reload()
    await notes_loaded(page)
    await expect(bar).to_have_attribute("aria-valuenow", BETWEEN_NOTES)  # as stored, still moving

    # Both instances die mid-run (kill -9): the run stays where it was until a worker picks it again.
    indexes = range(len(two_instances.instances))
    for index in indexes:
        two_instances.kill(index)
    # Started side by side: each waits for its own port.
    await asyncio.gather(*(asyncio.to_thread(two_instances.restart, index) for index in indexes))
    await reload_once_served(page)
    await notes_loaded(page)
    await expect(bar).to_be_visible()
    await expect(page.locator("#reindex-status")).to_have_text(
        f"Done: {NOTES} of {NOTES} notes re-indexed.", timeout=LONG_WAIT_MS
    )
    await expect(bar).to_have_attribute("aria-valuenow", "100")
    await expect(page.locator("#reindex-start")).to_be_visible()


async def test_cancel_stops_the_run_and_says_so(cluster_page: ClusterPage) -> None:
    page = cluster_page.page
    bar = page.get_by_role("progressbar", name="Re-index progress")
    await page.click("#reindex-start")
    await expect(bar).to_have_attribute("aria-valuenow", BETWEEN_NOTES, timeout=LONG_WAIT_MS)
    await page.click("#reindex-cancel")
    await expect(page.locator("#reindex-status")).to_have_text(
        re.compile(rf"^Cancelled after \d of {NOTES} notes\.$")
    )
    await expect(page.locator("#reindex-start")).to_be_visible()
    cancelled_at = await bar.get_attribute("aria-valuenow")
    await page.reload()
    await notes_loaded(page)
    await expect(page.locator("#reindex-status")).to_have_text(re.compile(r"^Cancelled after"))
    assert await bar.get_attribute("aria-valuenow") == cancelled_at  # it stopped: nothing moved on
