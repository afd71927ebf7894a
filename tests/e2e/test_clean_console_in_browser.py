"""Normal use leaves nothing in the browser console, no failed request, and runs each Brython call once."""

from __future__ import annotations

from heavy.testing.browser import TIMEZONE
from heavy.testing.live_server import LiveServer
from heavy.testing.plugin import BrowserPage
from playwright.async_api import Response, expect

from tests.e2e.test_accounts_in_browser import fill_and_submit, sign_up_on_this_page

# Counts the Brython functions the page really runs (after the bridge's de-duplication).
COUNT_BRYTHON_RUNS = """
window.brythonRuns = [];
const started = setInterval(() => {
  if (window.heavyBridge && window.heavyBridge.run) {
    clearInterval(started);
    const run = window.heavyBridge.run;
    window.heavyBridge.run = (call) => { window.brythonRuns.push(call.name); run(call); };
  }
}, 5);
"""


def _problems(console: list[str]) -> list[str]:
    return [line for line in console if line.startswith(("error:", "warning:"))]


async def test_walking_every_page_logs_no_console_error_and_no_failed_request(
    browser_page: BrowserPage, server: LiveServer
) -> None:
    page = browser_page.page
    failed: list[str] = []

    def check(response: Response) -> None:
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", check)
    await browser_page.open("/")
    await page.click("#to-other")
    await expect(page.locator("h1")).to_have_text("The other page")
    await page.click("#to-sign-up")
    await sign_up_on_this_page(page, "Walker")
    await page.click("#to-notes")
    await fill_and_submit(page, {"#new-note-title": "Walk", "#new-note-body": "a note"}, "#new-note-submit")
    await page.get_by_role("link", name="Walk", exact=True).click()
    await expect(page.locator("#related-notes")).to_have_text("No other notes yet.")
    await page.click("#sign-out")
    await expect(page.locator("#account-message")).to_have_text("You are signed out.")
    await page.click("#to-sign-up")
    await expect(page.locator("h1")).to_have_text("Sign up")

    assert failed == []
    assert _problems(browser_page.console) == []
    assert "unknown call" not in server.log()


async def test_each_brython_call_runs_exactly_once(browser_page: BrowserPage, server: LiveServer) -> None:
    page = browser_page.page
    await page.add_init_script(COUNT_BRYTHON_RUNS)
    await page.goto(browser_page.base_url + "/")
    await expect(page.locator("#browser-timezone")).to_have_text(TIMEZONE)
    # The first call loads Brython; the counter is in place once it answered.
    await page.click("#ask-timezone")
    await expect(page.locator("#brython-timezone")).to_have_text(f"Brython says: {TIMEZONE}")
    for _ in range(3):
        await page.click("#scroll-to-time")
    await page.click("#update-time")  # re-renders that must not run old calls again
    await page.click("#update-time")
    await page.wait_for_function("window.brythonRuns.length >= 3")
    await page.wait_for_timeout(300)  # room for a duplicate to show up
    runs = await page.evaluate("window.brythonRuns")
    # The time zone call ran before the counter was in place: a second run of it would
    # answer twice, which the server logs as an answer for an unknown call.
    assert runs.count("scroll_to_element") == 3
    assert runs.count("get_timezone") <= 1
    assert "unknown call" not in server.log()
