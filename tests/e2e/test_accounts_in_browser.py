"""Accounts and notes in a real Chromium: the cookie hand-off, and a page the CSP never blocks."""

from __future__ import annotations

import uuid

from heavy.testing.plugin import BrowserPage
from playwright.async_api import Page, expect

from heavy_stack.settings import Settings

PASSWORD = "correct horse battery"


async def fill_and_submit(page: Page, fields: dict[str, str], submit: str) -> None:
    for selector, value in fields.items():
        await page.fill(selector, value)
    await page.click(submit)


async def sign_up_on_this_page(page: Page, name: str) -> str:
    """Fill in the sign-up form on the page as ``name`` and wait until signed in; the e-mail used."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    await fill_and_submit(
        page,
        {"#sign-up-email": email, "#sign-up-name": name, "#sign-up-password": PASSWORD},
        "#sign-up-submit",
    )
    await expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {name}")
    return email


async def test_sign_up_then_sign_out_then_sign_in(browser_page: BrowserPage) -> None:
    page, email = browser_page.page, f"ada-{uuid.uuid4().hex[:8]}@example.com"
    await page.goto(browser_page.base_url + "/notes")  # needs a user: goes to sign in, then comes back
    await expect(page).to_have_url(browser_page.base_url + "/sign-in?next=%2Fnotes")
    await page.click("#to-sign-up-from-sign-in")
    await fill_and_submit(
        page,
        {"#sign-up-email": email, "#sign-up-name": "Ada", "#sign-up-password": PASSWORD},
        "#sign-up-submit",
    )
    await expect(page.locator("#signed-in-as")).to_have_text("Signed in as Ada")
    await expect(page.locator("h1")).to_have_text("Your notes")

    cookie_name = Settings(_env_file=None).session_cookie_name
    [cookie] = [c for c in await page.context.cookies() if c["name"] == cookie_name]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie_name not in await page.evaluate("document.cookie")  # scripts (Brython too) cannot read it

    await page.click("#sign-out")
    await expect(page).to_have_url(browser_page.base_url + "/sign-in?next=%2F&signed_out=1")
    await expect(page.locator("#account-message")).to_have_text("You are signed out.")
    assert cookie_name not in {c["name"] for c in await page.context.cookies()}

    await fill_and_submit(page, {"#sign-in-email": email, "#sign-in-password": PASSWORD}, "#sign-in-submit")
    await expect(page.locator("#signed-in-as")).to_have_text("Signed in as Ada")


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    browser_page: BrowserPage,
) -> None:
    page = browser_page.page
    await page.goto(browser_page.base_url + "/sign-in")
    await fill_and_submit(
        page,
        {"#sign-in-email": "nobody@example.com", "#sign-in-password": "not the password"},
        "#sign-in-submit",
    )
    await expect(page.locator("#account-message")).to_have_text(
        "That e-mail address and password do not match an account."
    )
    await expect(page).to_have_url(browser_page.base_url + "/sign-in")


async def test_notes_and_brython_run_under_the_content_security_policy(browser_page: BrowserPage) -> None:
    page = browser_page.page
    violations: list[str] = []
    await page.expose_function("reportViolation", lambda text: violations.append(text))
    await page.add_init_script(
        "document.addEventListener('securitypolicyviolation',"
        " e => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI))"
    )
    await page.goto(browser_page.base_url + "/sign-up")
    await sign_up_on_this_page(page, "Cy")
    await page.click("#to-notes")
    await fill_and_submit(
        page, {"#new-note-title": "First", "#new-note-body": "some text"}, "#new-note-submit"
    )
    await expect(page.locator("#note-message")).to_have_text("Added “First”.")
    await page.click("text=First")
    await expect(page.locator("#related-notes")).to_have_text("No other notes yet.")
    await page.goto(browser_page.base_url + "/")
    await page.click("#copy-text")  # a Brython call with an answer, after Brython compiled its modules
    await expect(page.locator("#copy-result")).not_to_have_text("")
    assert violations == []
    assert not [line for line in browser_page.console if "Content Security Policy" in line]


async def test_a_draft_survives_a_session_that_ended_in_another_tab(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await page.goto(browser_page.base_url + "/sign-up")
    email = await sign_up_on_this_page(page, "Drafter")
    await page.click("#to-notes")
    await page.fill("#new-note-title", "Half-written")
    await page.fill("#new-note-body", "typed before the session ended")

    other_tab = await page.context.new_page()  # same browser, same cookies
    await other_tab.goto(browser_page.base_url + "/")
    await other_tab.click("#sign-out")
    await expect(other_tab.locator("#account-message")).to_have_text("You are signed out.")
    await other_tab.close()

    await page.click("#new-note-submit")  # the session is over: off to sign in
    await expect(page).to_have_url(browser_page.base_url + "/sign-in?next=%2Fnotes")
    await fill_and_submit(page, {"#sign-in-email": email, "#sign-in-password": PASSWORD}, "#sign-in-submit")
    await expect(page.locator("h1")).to_have_text("Your notes")
    await expect(page.locator("#new-note-title")).to_have_value("Half-written")
    await expect(page.locator("#new-note-body")).to_have_value("typed before the session ended")
    await page.click("#new-note-submit")
    await expect(page.locator("#note-message")).to_have_text("Added “Half-written”.")
    await page.reload()  # sent and cleared: the draft is not typed in again
    await expect(page.locator("#note-list")).to_contain_text("Half-written")
    await expect(page.locator("#new-note-title")).to_have_value("")


async def test_a_title_of_one_long_word_wraps_inside_the_page(browser_page: BrowserPage) -> None:
    page = browser_page.page
    await page.set_viewport_size({"width": 390, "height": 800})  # a phone
    await page.goto(browser_page.base_url + "/sign-up")
    await sign_up_on_this_page(page, "Di")
    await page.click("#to-notes")
    title = "https://example.com/" + "x" * 180  # a pasted URL: no space to break at
    await fill_and_submit(page, {"#new-note-title": title, "#new-note-body": "a link"}, "#new-note-submit")
    await expect(page.locator("#note-list")).to_contain_text(title)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
