"""Screenshots of every page, light and dark, on a phone and on a desktop, into docs/screenshots/.

Usage: python dev_scripts/screenshots.py [--out docs/screenshots]   (or: make screenshots)

Starts the app as ``make run`` does, on an embedded PostgreSQL of its own in a temporary folder
(your development database is not touched), signs up a demo person and writes a few notes
through the pages themselves, then saves each page in each theme and size as
``<page>-<theme>-<size>.png``. The theme is the system's setting the browser reports
(``prefers-color-scheme``), which the pages follow when nobody chose one.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from heavy.testing.browser import TIMEZONE
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright, expect

from heavy_stack_testing.product import launch_chromium, live_server, page_ready

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 720},
    "desktop": {"width": 1024, "height": 720},
}
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
PASSWORD = "correct horse battery"
# Flat colours and text: a 64-colour palette keeps the PNG files a third of their size, unblurred.
COLOURS = 64
NOTES = (
    ("Groceries for Sunday", "Milk, eggs, flour and a lemon.\nThe good bread from the corner shop."),
    ("Trip to Lisbon", "Book the train to Sintra early: it fills up by ten.\nTram 28 before eight."),
    ("Reading list", "The Pragmatic Programmer, then Designing Data-Intensive Applications."),
)


@dataclass(frozen=True)
class Shot:
    """A page to save: its name, its address, and what to do there first (open a dialog...)."""

    name: str
    path: str
    signed_in: bool = False
    then: Callable[[Page], Awaitable[None]] | None = None


async def _open_delete_dialog(page: Page) -> None:
    await page.click("#note-delete")
    await expect(page.locator("#note-delete-dialog")).to_be_visible()


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="heavy-screenshots-") as folder:
        log = Path(folder) / "server.log"
        with live_server({"DATA_DIR": str(Path(folder) / "data")}, log) as server:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                try:
                    await _shoot_all(browser, server.base_url, out)
                finally:
                    await browser.close()


async def _shoot_all(browser: Browser, base_url: str, out: Path) -> None:
    anonymous = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE)
    person = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE)
    page = await person.new_page()
    await _sign_up(page)
    await _shoot(person, Shot("notes-empty", "/notes", signed_in=True), out)
    note_path = await _write_notes(page)
    shots = [
        Shot("landing", "/"),
        Shot("sign-in", "/sign-in"),
        Shot("sign-up", "/sign-up"),
        Shot("other", "/other"),
        Shot("not-found", "/no/such/page"),
        Shot("notes", "/notes", signed_in=True),
        Shot("note", note_path, signed_in=True),
        Shot("note-delete", note_path, signed_in=True, then=_open_delete_dialog),
    ]
    for shot in shots:
        await _shoot(person if shot.signed_in else anonymous, shot, out)
    await anonymous.close()
    await person.close()


async def _sign_up(page: Page) -> None:
    await page.goto("/sign-up")
    await page.fill("#sign-up-email", "ada@example.com")
    await page.fill("#sign-up-name", "Ada")
    await page.fill("#sign-up-password", PASSWORD)
    await page.click("#sign-up-submit")
    await expect(page.locator("#signed-in-as")).to_have_text("Signed in as Ada")


async def _write_notes(page: Page) -> str:
    """Write ``NOTES`` through the notes page; the address of the last one."""
    await page.goto("/notes")
    for title, body in NOTES:
        await page.fill("#new-note-title", title)
        await page.fill("#new-note-body", body)
        await page.click("#new-note-submit")
        await expect(page.locator("#note-list")).to_contain_text(title)
    href = await page.locator("#note-list a").first.get_attribute("href")
    assert href is not None
    return href


async def _live(page: Page) -> None:
    """Wait until the live page has replaced the first paint (and, on the landing page, until
    the browser's time zone shows)."""
    await expect(page.locator("#heavy-first-paint")).to_have_count(0)
    if await page.locator("#browser-timezone").count():
        await page_ready(page)


async def _shoot(context: BrowserContext, shot: Shot, out: Path) -> None:
    page = await context.new_page()
    try:
        await page.goto(shot.path)
        await _live(page)
        if shot.then is not None:
            await shot.then(page)
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        for size, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            for theme in THEMES:
                await page.emulate_media(color_scheme=theme)
                png = await page.screenshot(animations="disabled")
                _save_small(png, out / f"{shot.name}-{theme}-{size}.png")
    finally:
        await page.close()


def _save_small(png: bytes, path: Path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(COLOURS, dither=Image.Dither.NONE).save(path, optimize=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNG files go")
    folder = parser.parse_args().out
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(folder))
