"""The live features' screenshots for docs/live-features.md: docs/screenshots/presence.png and
docs/screenshots/live-notes.png.

Usage: python dev_scripts/live_screenshots.py [--out docs/screenshots]

Starts the app as ``make run`` does, on an embedded PostgreSQL of its own in a temporary folder,
signs a user up in Chromium and opens one of their notes in two browsers. One browser holds an
unsaved edit while the other saves: the first then says "changed elsewhere" and offers the
choice (live-notes.png); the landing page, open meanwhile, counts the three pages (presence.png).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from heavy.testing.browser import TIMEZONE
from playwright.async_api import Browser, Page, async_playwright, expect
from screenshots import _save_small  # this folder's screenshot script: the same small PNG

from heavy_stack_testing.page_tour import go_live, sign_up, write_notes
from heavy_stack_testing.product import launch_chromium, live_server

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 960, "height": 720}


async def _browser_at(browser: Browser, base_url: str, like: Page | None = None) -> Page:
    context = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE, viewport=VIEWPORT)  # type: ignore[arg-type]
    if like is not None:  # the same user, in another browser
        await context.add_cookies(await like.context.cookies())  # type: ignore[arg-type]
    return await context.new_page()


async def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="heavy-live-") as folder:
        log = Path(folder) / "server.log"
        with live_server({"DATA_DIR": str(Path(folder) / "data")}, log) as server:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                try:
                    mine = await _browser_at(browser, server.base_url)
                    await sign_up(mine, "Ada")
                    note = await write_notes(mine, (("Groceries", "milk, eggs"),))
                    await mine.goto(note)
                    await go_live(mine)
                    theirs = await _browser_at(browser, server.base_url, like=mine)
                    await theirs.goto(note)
                    await go_live(theirs)
                    landing = await _browser_at(browser, server.base_url)
                    await landing.goto("/")
                    await go_live(landing)
                    await expect(landing.locator("#online-count")).to_have_text("3 online", timeout=10_000)
                    await _save(landing, out / "presence.png")

                    await expect(mine.locator("#note-open-elsewhere")).to_contain_text("1 other page")
                    await mine.fill("#note-body", "milk, eggs, and the bread I am adding")
                    await theirs.fill("#note-title", "Groceries for Sunday")
                    await theirs.click("#note-save")
                    await expect(mine.locator("#note-keep-mine")).to_be_visible()
                    await _save(mine, out / "live-notes.png")
                finally:
                    await browser.close()


async def _save(page: Page, path: Path) -> None:
    await page.emulate_media(color_scheme="light")
    _save_small(await page.screenshot(animations="disabled"), path)
    print(f"Saved {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="the folder the PNG files go to")
    target = parser.parse_args().out
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
