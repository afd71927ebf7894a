"""Every page, in light and dark, on a phone and on a desktop: axe-core finds no serious or
critical accessibility problem, and a 360 px phone never needs to scroll sideways.

One server, one browser and one loaded page per address for the whole module: a test changes
the page's size and colour scheme (which the pages follow while nobody chose a theme) and runs
axe-core on it again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import pytest
from heavy.testing.accessibility import accessibility_violations
from heavy.testing.browser import TIMEZONE
from heavy.testing.live_server import LiveServer
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.e2e.test_accounts_in_browser import sign_up_on_this_page

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 740},
    "desktop": {"width": 1280, "height": 800},
}
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
# What the browser logs for a page answered with 404 (the not-found page is one).
NOT_FOUND = "error: Failed to load resource: the server responded with a status of 404 (Not Found)"
NOTE = "a-note"  # stands for the address of the note written in set-up


async def _open_delete_dialog(page: Page) -> None:
    await page.click("#note-delete")
    await expect(page.locator("#note-delete-dialog")).to_be_visible()


@dataclass(frozen=True)
class Shown:
    """A page as someone sees it: its address, signed in or not, and what is done there first."""

    path: str
    signed_in: bool = False
    then: Callable[[Page], Awaitable[None]] | None = None


SHOWN = {
    "landing": Shown("/"),
    "other": Shown("/other"),
    "sign-in": Shown("/sign-in"),
    "sign-up": Shown("/sign-up"),
    "not-found": Shown("/no/such/page"),
    "notes": Shown("/notes", signed_in=True),
    "note": Shown(NOTE, signed_in=True),
    "delete-dialog": Shown(NOTE, signed_in=True, then=_open_delete_dialog),
    "forgot-password": Shown("/forgot-password"),
    "reset-password": Shown("/reset-password?token=not-a-token"),
    "account": Shown("/account", signed_in=True),
    "sessions": Shown("/account/sessions", signed_in=True),
}


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
            shown = SHOWN[name]
            page = await (self.signed_in if shown.signed_in else self.anonymous).new_page()
            log = self.console.setdefault(name, [])
            page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
            await page.goto(self.note_path if shown.path == NOTE else shown.path)
            await expect(page.locator("#heavy-first-paint")).to_have_count(0)  # the live page
            if shown.then is not None:
                await shown.then(page)
            self.pages[name] = page
        return self.pages[name]


@pytest.fixture(scope="module")
async def visit(browser: Browser, server: LiveServer) -> AsyncIterator[Visit]:
    anonymous = await browser.new_context(base_url=server.base_url, timezone_id=TIMEZONE)
    signed_in = await browser.new_context(base_url=server.base_url, timezone_id=TIMEZONE)
    page = await signed_in.new_page()
    await page.goto("/sign-up?next=/notes")
    await sign_up_on_this_page(page, "Axel")
    await page.fill("#new-note-title", "A note with a long first line")
    await page.fill(
        "#new-note-body", "Which the list shows cut to fit, whatever the width of the screen. " * 3
    )
    await page.click("#new-note-submit")
    href = await page.locator("#note-list a").first.get_attribute("href")
    assert href is not None
    await page.close()
    yield Visit(anonymous, signed_in, href)
    await anonymous.close()
    await signed_in.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", SHOWN)
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
