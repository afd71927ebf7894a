"""The development dashboard's screenshot for docs/telemetry.md: docs/screenshots/dashboard.png.

Usage: python dev_scripts/dashboard_screenshot.py [--out docs/screenshots/dashboard.png]

Starts the app as ``make run`` does, on an embedded PostgreSQL of its own in a temporary folder,
opens the dashboard in Chromium, keeps two other pages clicking for a few seconds (so the chart,
the handlers and the pools have something to show), and saves the dashboard as it is then.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from heavy.testing.browser import TIMEZONE
from playwright.async_api import BrowserContext, ViewportSize, expect
from screenshots import _save_small  # this folder's screenshot script: the same small PNG

from heavy_stack_testing.page_tour import go_live
from heavy_stack_testing.product import throwaway_app_in_chromium

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "dashboard.png"
BUSY_SECONDS = 8


async def _click_for_a_while(context: BrowserContext, button: str, pause_s: float) -> None:
    page = await context.new_page()
    await page.goto("/")
    await go_live(page)
    loop = asyncio.get_running_loop()
    until = loop.time() + BUSY_SECONDS
    while loop.time() < until:
        await page.click(f"#{button}")
        await asyncio.sleep(pause_s)


async def main(out: Path) -> None:
    async with throwaway_app_in_chromium("heavy-dashboard-") as (base_url, browser):
        viewport: ViewportSize = {"width": 1024, "height": 900}
        context = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE, viewport=viewport)
        dashboard = await context.new_page()
        await dashboard.goto("/_heavy/dashboard")
        await expect(dashboard.locator("#heavy-first-paint")).to_have_count(0)
        others = await browser.new_context(base_url=base_url, timezone_id=TIMEZONE)
        await asyncio.gather(
            _click_for_a_while(others, "read-user", 0.05), _click_for_a_while(others, "update-time", 0.15)
        )
        await dashboard.wait_for_timeout(1500)  # the last second's figures shown
        await dashboard.emulate_media(color_scheme="light")
        _save_small(await dashboard.screenshot(full_page=True, animations="disabled"), out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNG file goes")
    target = parser.parse_args().out
    target.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
