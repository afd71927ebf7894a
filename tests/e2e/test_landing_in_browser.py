"""What a new user does on the landing page, in a real browser."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from heavy.testing.browser import TIMEZONE
from heavy.testing.live_server import LiveServer
from heavy.testing.plugin import BrowserPage
from playwright.async_api import Browser, Page, Route, WebSocket, expect


async def test_page_loads_and_brython_reports_the_browser_time_zone(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    page = browser_page.page
    await expect(page).to_have_title("The Heavy Stack")
    await expect(page.locator("#server-time")).to_contain_text(TIMEZONE)
    await expect(page.locator("#current-user")).to_contain_text("Demo User")


async def test_every_request_stays_on_the_app_itself(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    await browser_page.page.click("#copy-text")  # Brython too
    await expect(browser_page.page.locator("#copy-result")).not_to_have_text("")
    outside = [url for url in browser_page.requests if not url.startswith(browser_page.base_url)]
    assert outside == []
    assert any("/brython/runtime/" in url for url in browser_page.requests)


@pytest.mark.parametrize("zone", ["America/North_Dakota/New_Salem", "Etc/GMT+5"])  # three parts; a "+"
async def test_a_first_visit_shows_the_browsers_time_zone_and_loads_brython_only_when_called(
    browser: Browser, server: LiveServer, zone: str
) -> None:
    context = await browser.new_context(timezone_id=zone)  # its own: an empty cache
    try:
        page = await context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        await page.goto(server.base_url + "/")
        await expect(page.locator("#heavy-first-paint")).to_have_count(0)  # live
        await expect(page.locator("#browser-timezone")).to_have_text(zone)  # no Brython for it
        await expect(page.locator("#server-time")).to_contain_text(zone)
        await page.click("#update-time")
        await expect(page.locator("#server-time")).to_contain_text(zone)
        assert not [url for url in requests if "/brython/" in url]

        await page.click("#ask-timezone")  # the page's first Brython call loads Brython
        await expect(page.locator("#brython-timezone")).to_have_text(f"Brython says: {zone}")
        assert [url for url in requests if "/brython/runtime/" in url]
    finally:
        await context.close()


async def test_update_time_button_shows_a_new_time(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    time = browser_page.page.locator("#server-time")
    before = await time.inner_text()
    await asyncio.sleep(0.01)  # the time shows milliseconds: let at least one pass
    await browser_page.page.click("#update-time")
    await expect(time).not_to_have_text(before)


async def test_form_shows_the_submitted_text_by_enter_and_by_button(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    page = browser_page.page
    await page.fill("#echo-input", "typed and entered")
    await page.press("#echo-input", "Enter")
    await expect(page.locator("#echo-result")).to_have_text("You said: typed and entered")
    await page.fill("#echo-input", "typed and clicked")
    await page.click("#echo-submit")
    await expect(page.locator("#echo-result")).to_have_text("You said: typed and clicked")


def typing_sent(page: Page) -> list[str]:
    """The texts the page sends the server as typing (its input events), as they are sent."""
    sent: list[str] = []

    def on_frame(payload: str | bytes) -> None:
        message: dict[str, Any] = json.loads(payload)
        data = message.get("data") or [{}]
        if isinstance(data[0], dict) and data[0].get("type") == "input":
            sent.append(data[0]["target"]["value"])

    def on_socket(socket: WebSocket) -> None:
        socket.on("framesent", on_frame)

    page.on("websocket", on_socket)
    return sent


@pytest.mark.parametrize("delay_ms", [0, 40, 120])
async def test_typing_reaches_the_server_when_the_person_pauses_whole_and_before_the_submit(
    browser_page: BrowserPage, delay_ms: int
) -> None:
    page = browser_page.page
    sent = typing_sent(page)
    await browser_page.open("/")
    words = "typed quickly, then paused"
    await page.locator("#echo-input").press_sequentially(words, delay=delay_ms)
    await page.wait_for_timeout(600)  # past the pause: the text goes without any other action
    # Whatever the page sends goes after the text typed before it: just after the page went
    # live, the router's report of the location (once its module has loaded) may take the text
    # typed so far with it. Then the rest goes, whole, after the pause.
    assert sent[-1] == words
    assert len(sent) <= 2
    assert all(words.startswith(text) for text in sent)

    # Typed, and sent at once: the submit goes after the held text, which it sees whole.
    typed_before = len(sent)
    await page.locator("#echo-input").press_sequentially(" and entered", delay=delay_ms)
    await page.press("#echo-input", "Enter")
    await expect(page.locator("#echo-result")).to_have_text(f"You said: {words} and entered")
    assert sent[typed_before:] == [f"{words} and entered"]


async def test_a_field_the_page_answers_per_keystroke_sends_each_one(browser_page: BrowserPage) -> None:
    page = browser_page.page
    sent = typing_sent(page)
    await browser_page.open("/")
    await page.locator("#number-input").press_sequentially("123", delay=20)
    await expect(page.locator("#number-result")).to_have_text("123 squared is 15,129.")
    assert sent == ["1", "12", "123"]


async def test_number_input_explains_bad_input(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    page = browser_page.page
    await page.fill("#number-input", "12")
    await expect(page.locator("#number-result")).to_have_text("12 squared is 144.")


async def test_expandable_section_opens_and_closes(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    page = browser_page.page
    body = page.locator("#click-flow-body")
    await expect(body).to_have_count(0)
    await page.click("#click-flow-toggle")
    await expect(body).to_contain_text("repository")
    await page.click("#click-flow-toggle")
    await expect(body).to_have_count(0)


async def test_scroll_to_the_time(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await page.set_viewport_size({"width": 800, "height": 400})
    await browser_page.open("/")
    assert await page.evaluate("window.scrollY") == 0
    await page.click("#scroll-to-time")
    await page.wait_for_function("Math.abs(document.getElementById('time').getBoundingClientRect().top) < 5")


async def test_navigation_to_the_other_page_and_back_without_reloading(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    page = browser_page.page
    await page.evaluate("window.loadedOnce = true")  # a reload would forget it
    await page.click("#to-other")
    await expect(page.locator("h1")).to_have_text("The other page")
    await expect(page).to_have_url(browser_page.base_url + "/other")
    await page.click("#to-landing")
    await expect(page.locator("#update-time")).to_be_visible()
    await page.go_back()
    await expect(page.locator("h1")).to_have_text("The other page")
    assert await page.evaluate("window.loadedOnce") is True


async def test_reload_gives_a_fresh_working_session(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    page = browser_page.page
    await page.fill("#echo-input", "before reload")
    await page.press("#echo-input", "Enter")
    await expect(page.locator("#echo-result")).to_have_text("You said: before reload")
    await page.reload()
    await page.locator("#browser-timezone", has_text=TIMEZONE).wait_for()
    await expect(page.locator("#echo-result")).to_have_text("Nothing submitted yet.")
    await page.fill("#echo-input", "after reload")
    await page.press("#echo-input", "Enter")
    await expect(page.locator("#echo-result")).to_have_text("You said: after reload")


async def test_calls_made_while_brython_is_still_loading_wait_for_it(browser_page: BrowserPage) -> None:
    page = browser_page.page
    calls_queued = asyncio.Event()

    async def hold_brython_until_the_calls_are_queued(route: Route) -> None:
        await calls_queued.wait()  # a slow network: Brython arrives after the server's calls
        await route.continue_()

    await page.route("**/brython/runtime/*/brython.js", hold_brython_until_the_calls_are_queued)
    try:
        await browser_page.open("/")  # live, and painted, without Brython
        await page.click("#ask-timezone")
        await page.click("#copy-text")
        await page.wait_for_function("window.heavyBridge.pending.length >= 2")
        await expect(page.locator("#brython-timezone")).to_have_text("")
    finally:
        calls_queued.set()
    # Both calls ran once Brython came, and answered.
    await expect(page.locator("#brython-timezone")).to_have_text(f"Brython says: {TIMEZONE}")
    await expect(page.locator("#copy-result")).not_to_have_text("")


async def test_a_failed_download_of_brython_is_tried_again_by_the_next_call(
    browser: Browser, server: LiveServer
) -> None:
    context = await browser.new_context(timezone_id=TIMEZONE)  # not browser_page: the drop logs
    tries: list[str] = []

    async def drop_the_first_download(route: Route) -> None:
        tries.append(route.request.url)
        await (route.abort() if len(tries) == 1 else route.continue_())

    try:
        page = await context.new_page()
        await page.route("**/brython/runtime/*/brython.js", drop_the_first_download)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(server.base_url + "/")
        await expect(page.locator("#heavy-first-paint")).to_have_count(0)
        await page.click("#ask-timezone")  # its download fails: the call stays queued
        # Queued, and the failed download's script tags gone again (they are added with the call).
        await page.wait_for_function(
            "window.heavyBridge.pending.length === 1"
            " && !document.querySelector('script[src*=\"/brython/runtime/\"]')"
        )
        assert len(tries) == 1
        await page.click("#copy-text")  # the next call loads Brython again; both run
        await expect(page.locator("#brython-timezone")).to_have_text(f"Brython says: {TIMEZONE}")
        await expect(page.locator("#copy-result")).not_to_have_text("")
        assert len(tries) == 2
        assert errors == []  # nothing ran without the runtime it needs
    finally:
        await context.close()


async def test_open_in_new_tab(browser_page: BrowserPage) -> None:
    await browser_page.open("/")
    async with browser_page.page.context.expect_page() as new_tab:
        await browser_page.page.click("#open-other-tab")
    tab = await new_tab.value
    await tab.wait_for_load_state()
    assert tab.url == browser_page.base_url + "/other"


async def test_copy_to_clipboard(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await browser_page.open("/")
    await page.click("#copy-text")
    await expect(page.locator("#copy-result")).to_have_text("Copied.")
    assert await page.evaluate("navigator.clipboard.readText()") == "Hello from The Heavy Stack!"


async def test_anonymous_visitors_each_rename_only_their_own_demo_user(
    browser: Browser, server: LiveServer
) -> None:
    contexts = [await browser.new_context(timezone_id=TIMEZONE) for _ in range(2)]
    try:
        first, second = [await context.new_page() for context in contexts]
        for page in (first, second):
            await page.goto(server.base_url + "/")
            await expect(page.locator("#current-user")).to_contain_text("Demo User")
        await first.fill("#rename-input", "Defaced")
        await first.click("#rename-submit")
        await expect(first.locator("#current-user")).to_contain_text("Defaced")
        await second.reload()
        await expect(second.locator("#current-user")).to_contain_text("Demo User")
        await expect(second.locator("#current-user")).not_to_contain_text("Defaced")
    finally:
        for context in contexts:
            await context.close()
