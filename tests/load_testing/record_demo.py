"""Regenerate ``data_recording_demo.json``: a scripted browser session, recorded by the server.

    uv run python tests/load_testing/record_demo.py

Starts the server in recording mode on a throwaway embedded database, drives headless Chromium
through the landing page as a visitor would (a Brython call and its answer, clicks, a database read
and write, a form, an expandable section, a page navigation and back), then stops the server
and keeps the recording.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from heavy.stream.recording import load_recording
from playwright.async_api import Page, async_playwright, expect

from heavy_stack_testing.product import launch_chromium, live_server
from heavy_stack_testing.replay import DEMO_RECORDING

# Typing pauses like a person's: the replay keeps them as think time.
KEYSTROKE_DELAY_MS = 60


async def visit_the_landing_page(page: Page, base_url: str) -> None:
    await page.goto(base_url + "/")
    await expect(page.locator("#browser-timezone")).to_contain_text("/")
    await expect(page.locator("#current-user")).to_contain_text("Demo User")
    await page.click("#ask-timezone")  # Brython loads with this first call, and answers
    await expect(page.locator("#brython-timezone")).to_contain_text("/")
    for _ in range(2):
        await page.click("#update-time")
        await page.wait_for_timeout(300)
    before = await page.locator("#user-read-at").inner_text()
    await page.click("#read-user")
    await expect(page.locator("#user-read-at")).not_to_have_text(before)
    await page.locator("#rename-input").press_sequentially("Load Test User", delay=KEYSTROKE_DELAY_MS)
    await page.click("#rename-submit")
    await expect(page.locator("#current-user")).to_contain_text("Load Test User")
    await page.locator("#echo-input").press_sequentially("hello from the replay", delay=KEYSTROKE_DELAY_MS)
    await page.press("#echo-input", "Enter")
    await expect(page.locator("#echo-result")).to_have_text("You said: hello from the replay")
    await page.locator("#number-input").press_sequentially("42", delay=KEYSTROKE_DELAY_MS)
    await expect(page.locator("#number-result")).to_have_text("42 squared is 1,764.")
    await page.click("#click-flow-toggle")
    await expect(page.locator("#click-flow-body")).to_be_visible()
    await page.click("#to-other")
    await expect(page.locator("#to-landing")).to_be_visible()
    await page.click("#to-landing")
    await expect(page.locator("#update-time")).to_be_visible()


async def record() -> str:
    """Run the scripted visit against a recording server; the recording's text."""
    with tempfile.TemporaryDirectory(prefix="heavy-stack-demo-") as folder:
        recording = Path(folder) / "recording.json"
        settings = {"DATA_DIR": str(Path(folder) / "data"), "RECORDING_PATH": str(recording)}
        with live_server(settings, Path(folder) / "server.log") as server:
            async with async_playwright() as playwright:
                browser = await launch_chromium(playwright)
                context = await browser.new_context(timezone_id="Europe/Paris")
                await visit_the_landing_page(await context.new_page(), server.base_url)
                await browser.close()
        return recording.read_text()  # the server has stopped: the file is complete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--output", type=Path, default=DEMO_RECORDING, help="where to write the recording")
    output: Path = parser.parse_args().output
    output.write_text(asyncio.run(record()))
    visit = load_recording(output).busiest_visit()
    events = sum(len(connection.events) for connection in visit.connections)
    print(f"Wrote {output}: a visit of {events} events over {len(visit.connections)} connection(s)")


if __name__ == "__main__":
    main()
