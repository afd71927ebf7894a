"""The development dashboard in Chromium: live figures that follow what another page does."""

from __future__ import annotations

from heavy.testing.browser import TIMEZONE
from heavy.testing.plugin import BrowserPage
from playwright.async_api import Browser, expect


async def _number(browser_page: BrowserPage, id: str) -> float:
    return float((await browser_page.page.locator(f"#{id}").inner_text()).replace(",", ""))


async def _wait_until(browser_page: BrowserPage, id: str, comparison: str, value: float) -> None:
    """Until the figure in ``#id`` compares to ``value`` (the page updates it each second)."""
    figure = f"Number(document.getElementById({id!r}).textContent.replace(/,/g, ''))"
    await browser_page.page.wait_for_function(f"value => {figure} {comparison} value", arg=value)


async def test_the_dashboard_shows_another_page_s_clicks_live(
    browser_page: BrowserPage, browser: Browser
) -> None:
    page = browser_page.page
    await page.goto(browser_page.base_url + "/_heavy/dashboard")
    await expect(page).to_have_title("Dashboard · The Heavy Stack")
    # The live page has replaced the first paint once the figures tick.
    await expect(page.locator("#heavy-first-paint")).to_have_count(0)
    await expect(page.locator("#dash-instances")).to_contain_text("(this page)")
    events_before = await _number(browser_page, "dash-events")

    context = await browser.new_context(timezone_id=TIMEZONE, base_url=browser_page.base_url)
    other = await context.new_page()
    await other.goto("/")
    await expect(other.locator("#current-user")).to_contain_text("@")
    for _ in range(5):
        await other.click("#read-user")
    # The clicks show up without a reload of the dashboard, and both pages are open.
    await _wait_until(browser_page, "dash-events", ">=", events_before + 5)
    row = page.locator("#dash-handlers tr", has_text="read_again")
    await expect(row).to_contain_text("ReadAgain")
    await _wait_until(browser_page, "dash-open-pages", ">=", 2)
    open_pages = await _number(browser_page, "dash-open-pages")
    # The other page closes: the dashboard follows.
    await context.close()
    await _wait_until(browser_page, "dash-open-pages", "<", open_pages)
    await expect(page.locator("#dash-jobs")).to_be_visible()
    problems = [line for line in browser_page.console if line.startswith(("error:", "warning:"))]
    assert problems == []
