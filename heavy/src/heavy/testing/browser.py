"""Launch the headless Chromium that browser tests, the demo recording and benchmarks drive."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.async_api import Browser, Playwright

# Browser pages of tests run in one fixed time zone, whatever the machine's.
TIMEZONE = "America/New_York"
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
    "(uv run playwright install chromium)"
)


class NoChromiumError(RuntimeError):
    """No Chromium binary on this machine; the message says how to get one."""


def chromium_executable(playwright: Playwright, variable: str | None = None) -> str:
    """The Chromium named by the environment variable ``variable`` (a product's
    ``<PREFIX>TEST_CHROMIUM``), else Debian's, else the one Playwright downloaded."""
    for candidate in (
        os.environ.get(variable) if variable else None,
        shutil.which("chromium"),
        playwright.chromium.executable_path,
    ):
        if candidate and Path(candidate).exists():
            return candidate
    also = f", or set {variable} to a Chromium binary" if variable else ""
    raise NoChromiumError(f"{NO_CHROMIUM}{also}.")


async def launch_chromium(playwright: Playwright, variable: str | None = None) -> Browser:
    """A headless Chromium (see ``chromium_executable`` for which one)."""
    return await playwright.chromium.launch(
        executable_path=chromium_executable(playwright, variable), args=CHROMIUM_ARGS
    )
