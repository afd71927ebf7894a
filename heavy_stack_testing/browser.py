"""Launch the headless Chromium that browser tests, the demo recording and benchmarks drive."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.async_api import Browser, Playwright

# Quiet, sandbox-friendly Chromium: no background traffic, no first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NO_CHROMIUM = (
    "No Chromium found. Install Debian's (apt-get install -y chromium) or Playwright's "
    "(uv run playwright install chromium), or set HEAVY_STACK_TEST_CHROMIUM to a Chromium binary."
)


class NoChromiumError(RuntimeError):
    """No Chromium binary on this machine; the message says how to get one."""


def chromium_executable(playwright: Playwright) -> str:
    """The configured Chromium, else Debian's, else the one Playwright downloaded."""
    for candidate in (
        os.environ.get("HEAVY_STACK_TEST_CHROMIUM"),
        shutil.which("chromium"),
        playwright.chromium.executable_path,
    ):
        if candidate and Path(candidate).exists():
            return candidate
    raise NoChromiumError(NO_CHROMIUM)


async def launch_chromium(playwright: Playwright) -> Browser:
    """A headless Chromium (see ``chromium_executable`` for which one)."""
    return await playwright.chromium.launch(
        executable_path=chromium_executable(playwright), args=CHROMIUM_ARGS
    )
