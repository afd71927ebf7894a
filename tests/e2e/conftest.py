"""A real headless Chromium driven by Playwright against the real server.

Debian's ``chromium`` is used when installed (Playwright's own browser download does not work
everywhere); set ``HEAVY_STACK_TEST_CHROMIUM`` to point at another build. On failure a
screenshot and the browser console are saved under ``test-artifacts/e2e/<test>/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, async_playwright

from heavy_stack.settings import PROJECT_ROOT
from heavy_stack_testing.browser import NoChromiumError, launch_chromium
from heavy_stack_testing.live_server import LiveServer

ARTIFACTS_DIR = PROJECT_ROOT / "test-artifacts" / "e2e"
TIMEZONE = "America/New_York"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_call_failed] = report.failed
    return report


_call_failed = pytest.StashKey[bool]()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        try:
            browser = await launch_chromium(playwright)
        except NoChromiumError as error:
            pytest.fail(f"{error} `make test-fast` runs everything else.")
        yield browser
        await browser.close()


@dataclass
class BrowserPage:
    """A page on the server, with what the browser logged and requested."""

    page: Page
    base_url: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    async def open(self, path: str = "/") -> None:
        """Load ``path`` and wait until Brython has told the server the time zone."""
        await self.page.goto(self.base_url + path)
        await self.page.locator("#browser-timezone", has_text=TIMEZONE).wait_for()


@pytest.fixture
async def browser_page(
    browser: Browser, server: LiveServer, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserPage]:
    context = await browser.new_context(timezone_id=TIMEZONE, base_url=server.base_url)
    page = await context.new_page()
    session = BrowserPage(page, server.base_url)
    page.on("console", lambda message: session.console.append(f"{message.type}: {message.text}"))

    def remember(sent: Request) -> None:
        session.requests.append(sent.url)

    page.on("request", remember)
    yield session
    if request.node.stash.get(_call_failed, False):
        await _save_artifacts(session, request.node.name)
    await context.close()


async def _save_artifacts(session: BrowserPage, test_name: str) -> None:
    folder = ARTIFACTS_DIR / test_name
    folder.mkdir(parents=True, exist_ok=True)
    await session.page.screenshot(path=folder / "screenshot.png", full_page=True)
    (folder / "console.txt").write_text("\n".join(session.console))
    (folder / "requests.txt").write_text("\n".join(session.requests))
