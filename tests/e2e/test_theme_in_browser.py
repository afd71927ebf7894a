"""Dark mode and dialogs in a real Chromium: the first painted frame already has the visitor's
theme (JavaScript off: what shows is the server's HTML and the stylesheet alone), a choice made
with the switch holds across a reload, and the delete confirmation is a modal dialog a keyboard
can use."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Literal

import pytest
from heavy import THEME_COOKIE
from heavy.testing.live_server import LiveServer
from heavy.testing.plugin import BrowserPage
from playwright.async_api import Browser, BrowserContext, Page, expect

from heavy_stack_testing.page_tour import sign_up

Scheme = Literal["light", "dark"]


async def page_brightness(page: Page) -> float:
    """The brightness (0 black to 255 white) of the page's background as painted."""
    colour = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def problems(console: list[str]) -> list[str]:
    return [line for line in console if line.startswith(("error:", "warning:"))]


def looks(brightness: float) -> Scheme:
    return "dark" if brightness < 80 else "light"


@pytest.fixture
async def no_script_context(browser: Browser, server: LiveServer) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(java_script_enabled=False, base_url=server.base_url)
    yield context
    await context.close()


@pytest.mark.parametrize(
    ("system", "chosen", "shown"),
    [
        ("dark", None, "dark"),  # nobody chose: the system's setting
        ("light", None, "light"),
        ("dark", "light", "light"),  # the visitor's choice beats the system's
        ("light", "dark", "dark"),
        ("dark", "system", "dark"),
        ("light", "<script>", "light"),  # a malformed cookie is ignored
    ],
)
async def test_the_first_paint_has_the_visitors_theme(
    no_script_context: BrowserContext,
    server: LiveServer,
    system: Scheme,
    chosen: str | None,
    shown: Scheme,
) -> None:
    if chosen is not None:
        await no_script_context.add_cookies([{"name": THEME_COOKIE, "value": chosen, "url": server.base_url}])
    page = await no_script_context.new_page()
    await page.emulate_media(color_scheme=system)
    await page.goto("/sign-in")
    assert looks(await page_brightness(page)) == shown
    expected = chosen if chosen in ("light", "dark") else None
    assert await page.locator("html").get_attribute("data-theme") == expected
    await expect(page.locator(f"#theme-{chosen if expected else 'system'}")).to_have_attribute(
        "aria-pressed", "true"
    )


async def test_the_switch_shows_the_theme_at_once_and_it_holds_across_a_reload(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    await page.emulate_media(color_scheme="light")
    await browser_page.open("/")
    assert looks(await page_brightness(page)) == "light"

    await page.click("#theme-dark")
    await expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert looks(await page_brightness(page)) == "dark"
    await expect(page.locator("#theme-dark")).to_have_attribute("aria-pressed", "true")
    await page.click("#to-other")  # another page of the same connection marks the choice too
    await expect(page.locator("h1")).to_have_text("The other page")
    await expect(page.locator("#theme-dark")).to_have_attribute("aria-pressed", "true")

    response = await page.reload()
    assert response is not None
    assert '<html lang="en" dir="ltr" data-theme="dark">' in await response.text()  # the server's first paint
    assert looks(await page_brightness(page)) == "dark"

    await page.click("#theme-system")  # back to the system's (light) setting
    await expect(page.locator("html[data-theme]")).to_have_count(0)
    assert looks(await page_brightness(page)) == "light"
    await page.reload()
    await expect(page.locator("#theme-system")).to_have_attribute("aria-pressed", "true")
    assert problems(browser_page.console) == []


async def test_delete_asks_in_a_modal_dialog_that_a_keyboard_can_use(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await sign_up(page, "Grace")
    await page.fill("#new-note-title", "Keyboard note")
    await page.click("#new-note-submit")
    await page.click("#note-list a")
    delete = page.locator("#note-delete")
    await delete.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("#note-delete-dialog")
    await expect(dialog).to_be_visible()
    assert await dialog.evaluate("d => d.matches(':modal')")  # the page behind is inert
    await expect(page.locator("#note-delete-cancel")).to_be_focused()  # the safe choice first

    await page.keyboard.press("Escape")  # = Cancel: the server hears it and removes the dialog
    await expect(dialog).to_have_count(0)
    await expect(delete).to_be_focused()  # the focus is back where it was
    await expect(page.locator("#note-list, #note-title")).to_have_count(1)  # still on the note

    await page.keyboard.press("Enter")
    await expect(page.locator("#note-delete-cancel")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.locator("#note-delete-confirm")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#note-message")).to_have_text("The note was deleted.")
    assert problems(browser_page.console) == []
