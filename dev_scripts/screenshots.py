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
import tempfile
from pathlib import Path
from typing import Literal

from heavy.testing.browser import TIMEZONE
from PIL import Image
from playwright.async_api import Browser, BrowserContext, ViewportSize, async_playwright

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


async def main(out: Path, only: frozenset[str] = frozenset()) -> None:
    with tempfile.TemporaryDirectory(prefix="heavy-screenshots-") as folder:
        log = Path(folder) / "server.log"
        with live_server({"DATA_DIR": str(Path(folder) / "data")}, log) as server:
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
    for name, stop in TOUR.items():
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
