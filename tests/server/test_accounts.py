"""Accounts on the real server, with real cookies: the hand-off, sign-out, and what attackers try."""

from __future__ import annotations

import uuid

import pytest
from heavy.testing.cookie_browser import CookieBrowser, Response
from heavy.testing.live_server import LiveServer
from heavy.testing.page_driver import PageDriver, WebSocketPage

from heavy_stack.backend.web.accounts import SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH
from heavy_stack.settings import Settings
from heavy_stack_testing.brython import wait_for_navigation

pytestmark = pytest.mark.server

PASSWORD = "correct horse battery"
SESSION_COOKIE = Settings(_env_file=None).session_cookie_name


def new_email() -> str:
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(browser: CookieBrowser, email: str, next_path: str = "/") -> str:
    """Sign up on the page; the hand-off link it sends the browser to."""
    async with browser.open_page(f"/sign-up?next={next_path}") as page:
        await page.type("sign-up-email", email)
        await page.type("sign-up-name", "Ada")
        await page.type("sign-up-password", PASSWORD)
        await page.submit("sign-up-form")
        return await handed_off(page)


async def sign_in(browser: CookieBrowser, email: str, password: str = PASSWORD) -> str:
    async with browser.open_page("/sign-in") as page:
        await page.type("sign-in-email", email)
        await page.type("sign-in-password", password)
        await page.submit("sign-in-form")
        return await handed_off(page)


async def handed_off(page: PageDriver) -> str:
    """The hand-off link the form's page sends the browser to; if none comes, the test fails
    with what the page says instead (a refusal, such as "Too many attempts", shows there)."""
    try:
        return await wait_for_navigation(page)
    except TimeoutError:
        pass  # failed below, outside the handler: the timeout's traceback says nothing more
    said = page.text("account-message") if page.layout.has(id="account-message") else ""
    pytest.fail(f"no hand-off link came; the page says: {said!r}")


async def signed_in_name(browser: CookieBrowser) -> str | None:
    """Who the account bar shows when this browser opens a page."""
    browser.get("/")
    return await name_shown_to(browser.base_url, browser.cookie_header())


def session_cookie(response: Response) -> str:
    [cookie] = [header for header in response.set_cookies() if header.startswith(SESSION_COOKIE + "=")]
    return cookie


async def test_sign_up_then_sign_out_then_sign_in_again(server: LiveServer) -> None:
    browser, email = CookieBrowser(server.base_url), new_email()

    link = await sign_up(browser, email, next_path="/notes")
    assert link.startswith(SIGN_IN_COMPLETE_PATH + "?ticket=")
    response = browser.get(link)
    assert (response.status, response.headers["Location"]) == (303, "/notes")
    assert await signed_in_name(browser) == "Signed in as Ada"

    session_before = browser.cookie_header()
    async with browser.open_page("/notes") as page:
        await page.click("sign-out")
        assert await wait_for_navigation(page) == SIGN_OUT_COMPLETE_PATH
    response = browser.get(SIGN_OUT_COMPLETE_PATH)
    assert response.status == 303
    assert "Max-Age=0" in session_cookie(response)
    assert browser.cookie(SESSION_COOKIE) is None
    assert await signed_in_name(browser) is None
    # The old cookie is dead on the server too, not just forgotten by this browser.
    assert await name_shown_to(server.base_url, session_before) is None

    assert browser.get(await sign_in(browser, email)).status == 303
    assert await signed_in_name(browser) == "Signed in as Ada"


async def test_the_session_cookie_is_http_only_same_site_lax_and_long_lived(server: LiveServer) -> None:
    browser = CookieBrowser(server.base_url)
    cookie = session_cookie(browser.get(await sign_up(browser, new_email())))
    flags = {flag.strip().split("=")[0].lower(): flag.strip() for flag in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert flags["samesite"].lower() == "samesite=lax"
    assert flags["path"] == "Path=/"
    assert flags["max-age"] == f"Max-Age={Settings(_env_file=None).session_lifetime_hours * 3600}"
    assert "secure" not in flags  # DEV serves plain HTTP; PRODUCTION adds Secure (tested apart)
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 43  # 32 random bytes, URL-safe base64


async def test_a_sign_in_link_works_once(server: LiveServer) -> None:
    browser = CookieBrowser(server.base_url)
    link = await sign_up(browser, new_email())
    assert browser.get(link).status == 303
    second = browser.get(link)
    assert second.status == 303
    assert second.headers["Location"].startswith("/sign-in?")
    assert "expired=1" in second.headers["Location"]
    assert second.set_cookies() == []


async def test_a_sign_in_link_opened_in_another_browser_signs_nobody_in(server: LiveServer) -> None:
    """Login CSRF: an attacker signs in, and sends the victim the link to be signed in as them."""
    attacker, victim = CookieBrowser(server.base_url), CookieBrowser(server.base_url)
    link = await sign_up(attacker, new_email())
    victim.get("/")  # the victim's browser has a binding cookie of its own
    response = victim.get(link)
    assert "expired=1" in response.headers["Location"]
    assert victim.cookie(SESSION_COOKIE) is None
    assert session_cookie_set_by(CookieBrowser(server.base_url), link) is False  # nor one without cookies
    # Those tries did not spend the link: the browser that signed in is still signed in by it.
    response = attacker.get(link)
    assert (response.status, response.headers["Location"]) == (303, "/")
    assert await signed_in_name(attacker) == "Signed in as Ada"


def session_cookie_set_by(browser: CookieBrowser, link: str) -> bool:
    return any(cookie.startswith(SESSION_COOKIE + "=") for cookie in browser.get(link).set_cookies())


@pytest.mark.parametrize("next_path", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
async def test_the_link_never_redirects_off_the_site(server: LiveServer, next_path: str) -> None:
    browser = CookieBrowser(server.base_url)
    link = await sign_up(browser, new_email(), next_path=next_path)
    assert browser.get(link).headers["Location"] == "/"


async def test_another_site_cannot_sign_anyone_out(server: LiveServer) -> None:
    browser = CookieBrowser(server.base_url)
    browser.get(await sign_up(browser, new_email()))
    # A link to the sign-out URL on some other site: the session is still live, so nothing changes.
    response = browser.get(SIGN_OUT_COMPLETE_PATH)
    assert response.set_cookies() == []
    assert await signed_in_name(browser) == "Signed in as Ada"


async def test_a_made_up_session_cookie_signs_nobody_in(server: LiveServer) -> None:
    assert await name_shown_to(server.base_url, f"{SESSION_COOKIE}=" + "A" * 43) is None


async def name_shown_to(base_url: str, cookie_header: str) -> str | None:
    """Who the account bar shows to a websocket that sends this ``Cookie`` header."""
    async with WebSocketPage.open(base_url, headers={"Cookie": cookie_header}) as page:
        bar = await page.wait_for_element("account-bar")
        return page.text("signed-in-as") if "Signed in as" in bar.text else None


async def test_a_signed_in_browser_gets_its_page_painted_signed_in(server: LiveServer) -> None:
    browser = CookieBrowser(server.base_url)
    browser.get(await sign_up(browser, new_email(), next_path="/notes"))
    page = browser.get("/notes").body.decode()
    first_paint = page.split('<div id="heavy-first-paint">', 1)[1]
    assert "Signed in as Ada" in first_paint
    assert '<h1 class="page-title">Your notes</h1>' in first_paint
    assert "<title>Notes · The Heavy Stack</title>" in page
    anonymous = CookieBrowser(server.base_url).get("/notes").body.decode()
    assert "Sign in to continue" in anonymous
    assert "Signed in as" not in anonymous
