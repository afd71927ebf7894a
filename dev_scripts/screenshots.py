"""Screenshots of every page, light and dark, on a phone and on a desktop, into docs/screenshots/.

Usage: python dev_scripts/screenshots.py [--out docs/screenshots] [--only PAGE ...]   (or: make screenshots)

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
import re
import tempfile
from pathlib import Path
from typing import Literal

from heavy.testing.browser import TIMEZONE
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright, expect

from heavy_stack_testing.page_tour import TOUR, Stop, go_live, sign_up, write_notes
from heavy_stack_testing.product import launch_chromium, live_server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 640},
    "desktop": {"width": 960, "height": 600},
}
THEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
# Flat colours and text: a 64-colour palette keeps the PNG files a third of their size, unblurred.
COLOURS = 64


async def _watch_reindex(page: Page) -> None:
    """Start "Re-index all my notes" and wait until its progress bar is part way."""
    await page.click("#reindex-start")
    bar = page.get_by_role("progressbar", name="Re-index progress")
    await expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^[1-9][0-9]?$"))
    await page.locator("#reindex").evaluate("section => section.scrollIntoView({block: 'center'})")


# Pictures for the docs beyond the tour (which the accessibility tests walk too): a run in flight.
SHOTS_ONLY = {"notes-reindex": Stop("/notes", signed_in=True, then=_watch_reindex)}


async def main(out: Path, only: frozenset[str] = frozenset()) -> None:
    with tempfile.TemporaryDirectory(prefix="heavy-screenshots-") as folder:
        log = Path(folder) / "server.log"
        # A pause after each note re-indexed: the re-index shot catches its progress bar part way.
        settings = {"DATA_DIR": str(Path(folder) / "data"), "REINDEX_PAUSE_SECONDS": "5"}
        with live_server(settings, log) as server:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                try:
                    await _shoot_all(browser, server.base_url, out, only)
                finally:
                    await browser.close()


async def _shoot_all(browser: Browser, base_url: str, out: Path, only: frozenset[str]) -> None:
    anonymous = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE)
    person = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE)
    page = await person.new_page()
    await sign_up(page, "Ada")
    if not only or "notes-empty" in only:
        await _shoot(person, "notes-empty", TOUR["notes"], "", out)  # before the first note
    note_path = await write_notes(page)
    for name, stop in {**TOUR, **SHOTS_ONLY}.items():
        if only and name not in only:
            continue
        await _shoot(person if stop.signed_in else anonymous, name, stop, note_path, out)
    await anonymous.close()
    await person.close()


async def _shoot(context: BrowserContext, name: str, stop: Stop, note_path: str, out: Path) -> None:
    page = await context.new_page()
    try:
        await page.goto(stop.address(note_path))
        await go_live(page)
        if stop.then is not None:
            await stop.then(page)
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        for size, viewport in SIZES.items():
            await page.set_viewport_size(viewport)
            for theme in THEMES:
                await page.emulate_media(color_scheme=theme)
                png = await page.screenshot(animations="disabled")
                _save_small(png, out / f"{name}-{theme}-{size}.png")
    finally:
        await page.close()


def _save_small(png: bytes, path: Path) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(COLOURS, dither=Image.Dither.NONE).save(path, optimize=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNG files go")
    parser.add_argument("--only", nargs="*", default=[], help="these pages only (e.g. notes-import)")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(arguments.out, frozenset(arguments.only)))
