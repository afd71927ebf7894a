"""The first paint: pages show before their websocket opens, read without JavaScript, and the
live page takes over with nothing lost, doubled or blinking."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from heavy.testing.live_server import LiveServer
from heavy.testing.plugin import BrowserPage
from playwright.async_api import Browser, Page, Route, WebSocketRoute, expect

STREAM = re.compile(r"/_reactpy/stream")
INTRO = "Python from top to bottom: Sanic, ReactPy, SQLModel and Brython."

# Samples the page as the browser paints it: the number of <h1> at every animation frame
# (callbacks run just before each paint, after every task and microtask of that frame).
COUNT_HEADINGS_EACH_FRAME = """
window.headingsPerFrame = [];
const sample = () => {
  window.headingsPerFrame.push(document.querySelectorAll("h1").length);
  requestAnimationFrame(sample);
};
requestAnimationFrame(sample);
"""


@asynccontextmanager
async def stream_held(page: Page) -> AsyncIterator[asyncio.Event]:
    """The page's websocket stays connecting (not open) until the event is set."""
    release = asyncio.Event()

    async def hold(socket: WebSocketRoute) -> None:
        await release.wait()
        socket.connect_to_server()

    await page.route_web_socket(STREAM, hold)
    try:
        yield release
    finally:
        release.set()


def _problems(console: list[str]) -> list[str]:
    return [line for line in console if line.startswith(("error:", "warning:"))]


async def test_the_landing_page_shows_its_content_before_the_websocket_opens(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    async with stream_held(page):
        await page.goto(browser_page.base_url + "/")
        await expect(page.locator("h1")).to_have_text("The Heavy Stack")
        await expect(page.get_by_text(INTRO)).to_be_visible()
        await expect(page.locator("#echo-input")).to_be_visible()
        # Nothing came over the websocket: this is the server's HTML, ReactPy's mount is empty.
        assert await page.evaluate("document.getElementById('app').children.length") == 0
        assert await page.locator("#heavy-first-paint").count() == 1
        await expect(page).to_have_title("The Heavy Stack")


async def test_a_page_is_readable_without_javascript(browser: Browser, server: LiveServer) -> None:
    context = await browser.new_context(java_script_enabled=False, base_url=server.base_url)
    try:
        page = await context.new_page()
        await page.goto("/")
        await expect(page.locator("h1")).to_have_text("The Heavy Stack")
        await expect(page.get_by_text(INTRO)).to_be_visible()
        await page.click("#to-other")  # router links are plain links: the other page loads
        await expect(page.locator("h1")).to_have_text("The other page")
        await expect(page).to_have_title("The other page · The Heavy Stack")
        response = await page.goto("/no/such/page")
        assert response is not None
        assert response.status == 404
        await expect(page.locator("h1")).to_have_text("Page not found")
        await expect(page).to_have_title("Page not found · The Heavy Stack")
    finally:
        await context.close()


async def test_what_was_typed_and_clicked_before_the_websocket_opened_is_kept(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    async with stream_held(page) as release:
        await page.goto(browser_page.base_url + "/")
        await page.locator("#echo-input").press_sequentially("typed early")
        await page.click("#echo-submit")  # nothing live to send it to yet: held, not lost
        release.set()
        # The live page took over: one heading, the text still there, the held click sent.
        await expect(page.locator("#heavy-first-paint")).to_have_count(0)
        await expect(page.locator("#echo-result")).to_have_text("You said: typed early")
    await expect(page.locator("h1")).to_have_count(1)
    await expect(page.locator("#echo-input")).to_have_value("typed early")


async def test_typing_on_across_the_take_over_loses_no_keystroke(browser_page: BrowserPage) -> None:
    page = browser_page.page
    async with stream_held(page) as release:
        await page.goto(browser_page.base_url + "/")
        field = page.locator("#echo-input")
        await field.press_sequentially("abc")
        release.set()
        await expect(page.locator("#heavy-first-paint")).to_have_count(0)
        # The focus and caret moved to the live field: the next keys land after "abc".
        await page.keyboard.type("def")
    await expect(page.locator("#echo-input")).to_have_value("abcdef")
    await page.keyboard.press("Enter")
    await expect(page.locator("#echo-result")).to_have_text("You said: abcdef")


async def test_the_page_never_shows_nothing_or_twice_while_the_live_page_takes_over(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    await page.add_init_script(COUNT_HEADINGS_EACH_FRAME)
    await browser_page.open("/")  # live: the first paint made way for the live page
    await page.wait_for_timeout(200)  # a few more frames after the take-over
    frames = await page.evaluate("window.headingsPerFrame")
    assert 1 in frames, frames
    shown_from = frames.index(1)
    assert shown_from <= 1, frames  # the heading is there from the first frames, not later
    assert set(frames[shown_from:]) == {1}, frames  # and then never gone, never doubled
    assert _problems(browser_page.console) == []


async def test_each_page_keeps_its_title_when_the_router_changes_it(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await browser_page.open("/")
    await expect(page).to_have_title("The Heavy Stack")
    await page.evaluate("window.loadedOnce = true")
    await page.click("#to-other")
    await expect(page.locator("h1")).to_have_text("The other page")
    await expect(page).to_have_title("The other page · The Heavy Stack")
    await page.click("#to-sign-up")
    await expect(page).to_have_title("Sign up · The Heavy Stack")
    await page.go_back()
    await expect(page).to_have_title("The other page · The Heavy Stack")
    assert await page.evaluate("window.loadedOnce === true")  # no reload on the way


CLIENT_SCRIPT = re.compile(r"/_heavy/client/heavy_live\.js$")


async def test_a_page_whose_live_part_did_not_load_loads_itself_again(browser_page: BrowserPage) -> None:
    """As when the server went away while the page loaded: its HTML came, the client did not."""
    page = browser_page.page
    failed: list[str] = []

    async def fail_once(route: Route) -> None:
        if failed:
            await route.continue_()
        else:
            failed.append(route.request.url)
            await route.abort("connectionreset")

    await page.route(CLIENT_SCRIPT, fail_once)
    await page.goto(browser_page.base_url + "/")
    await page.locator("#echo-input").fill("typed before it failed")
    # Loaded again by itself, live this time, with the draft typed back.
    await expect(page.locator("#heavy-first-paint")).to_have_count(0, timeout=15_000)
    await page.click("#echo-submit")
    await expect(page.locator("#echo-result")).to_have_text("You said: typed before it failed")
    assert len(failed) == 1


async def test_a_page_that_keeps_failing_to_load_stops_reloading_and_says_so(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    await page.route(CLIENT_SCRIPT, lambda route: route.abort("connectionreset"))
    await page.goto(browser_page.base_url + "/")
    banner = page.locator("#heavy-connection-banner")
    await expect(banner).to_have_text(
        "This page did not load completely. Reload it to try again.", timeout=20_000
    )
    await page.wait_for_timeout(1_500)  # and no more reloads
    loads = [url for url in browser_page.requests if CLIENT_SCRIPT.search(url)]
    assert len(loads) == 4  # the first load and three more
    await expect(page.get_by_text(INTRO)).to_be_visible()  # still readable


async def test_a_press_that_began_on_the_first_paint_clicks_once_the_page_is_live(
    browser_page: BrowserPage,
) -> None:
    """A press (mouse down) on a first-paint link, released after the take-over replaced it."""
    page = browser_page.page
    async with stream_held(page) as release:
        await page.goto(browser_page.base_url + "/")
        await page.evaluate("window.loadedOnce = true")
        await page.locator("#heavy-first-paint #to-other").hover()
        await page.mouse.down()
        release.set()
        await expect(page.locator("#heavy-first-paint")).to_have_count(0)
        await page.mouse.up()
    await expect(page.locator("h1")).to_have_text("The other page")
    assert await page.evaluate("window.loadedOnce === true")  # the router's way, not a reload
    await page.locator("#to-home").hover()  # a press that leaves its link is no click
    await page.mouse.down()
    await page.mouse.move(0, 0)
    await page.mouse.up()
    await page.wait_for_timeout(300)
    await expect(page.locator("h1")).to_have_text("The other page")
    assert _problems(browser_page.console) == []
