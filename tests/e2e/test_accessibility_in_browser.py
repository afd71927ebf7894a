"""Every page, in light and dark, on a phone and on a desktop: axe-core finds no serious or
critical accessibility problem, and a 360 px phone never needs to scroll sideways.

One server, one browser and one loaded page per stop of the tour (``heavy_stack_testing/page_tour.py``,
which the screenshots use too) for the whole module: a test changes the page's size and colour
scheme (which the pages follow while nobody chose a theme) and runs axe-core on it again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

import pytest
from heavy.testing.accessibility import accessibility_violations
from heavy.testing.browser import TIMEZONE
from heavy.testing.live_server import LiveServer
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from heavy_stack_testing.page_tour import TOUR, go_live, pages_not_toured, sign_up, write_notes

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 800},
}
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
# What the browser logs for a page answered with 404 (the not-found page is one).
NOT_FOUND = "error: Failed to load resource: the server responded with a status of 404 (Not Found)"


@dataclass
class Visit:
    """The module's two browser contexts (anonymous, signed in) and the pages loaded so far."""

    anonymous: BrowserContext
    signed_in: BrowserContext
    note_path: str
    pages: dict[str, Page] = field(default_factory=dict)
    console: dict[str, list[str]] = field(default_factory=dict)

    async def page(self, name: str) -> Page:
        if name not in self.pages:
            stop = TOUR[name]
            page = await (self.signed_in if stop.signed_in else self.anonymous).new_page()
            log = self.console.setdefault(name, [])
            page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
            await page.goto(stop.address(self.note_path))
            await go_live(page)
            if stop.then is not None:
                await stop.then(page)
            self.pages[name] = page
        return self.pages[name]


@pytest.fixture(scope="module")
async def visit(browser: Browser, server: LiveServer) -> AsyncIterator[Visit]:
    anonymous = await browser.new_context(base_url=server.base_url, timezone_id=TIMEZONE)
    signed_in = await browser.new_context(base_url=server.base_url, timezone_id=TIMEZONE)
    page = await signed_in.new_page()
    await sign_up(page, "Axel")
    note_path = await write_notes(page)
    await page.close()
    visit = Visit(anonymous, signed_in, note_path)
    # All at once: the pages load while the server and the browser wait on each other.
    await asyncio.gather(*(visit.page(name) for name in TOUR))
    yield visit
    await anonymous.close()
    await signed_in.close()


def test_the_tour_shows_every_page() -> None:
    assert pages_not_toured() == []


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", TOUR)
async def test_no_serious_accessibility_problem(visit: Visit, name: str, theme: str, size: str) -> None:
    page = await visit.page(name)
    await page.set_viewport_size(SIZES[size])
    await page.emulate_media(color_scheme="dark" if theme == "dark" else "light")
    violations = await accessibility_violations(page)
    assert [str(violation) for violation in violations] == []
    if size == "phone":
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px wider than the phone"
    problems = [line for line in visit.console[name] if line.startswith(("error:", "warning:"))]
    assert problems == ([NOT_FOUND] if name == "not-found" else [])


async def test_axe_finds_a_problem_where_there_is_one(visit: Visit) -> None:
    page = await visit.page("other")
    await page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    try:
        assert {violation.rule for violation in await accessibility_violations(page)} == {"button-name"}
    finally:
        await page.evaluate("document.querySelector('main > button:last-child').remove()")
