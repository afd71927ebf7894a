"""The account flows in a real Chromium: a forgotten password through the development mailbox,
the verification link, links refused in words, the sessions page, deleting the account."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from heavy.data.db_connection import Database
from heavy.testing.plugin import BrowserPage
from playwright.async_api import Browser, Page, expect

from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.services.accounts.tokens import token_digest
from heavy_stack.settings import Settings
from heavy_stack.shared_models.account_token import TokenPurpose

from tests.e2e.test_accounts_in_browser import PASSWORD, fill_and_submit, sign_up_on_this_page

NEW_PASSWORD = "a brand new passphrase"
# How often a test looks in the mailbox for a mail on its way (every 0.5 s).
MAILBOX_LOOKS = 40


@pytest.fixture
async def other_browser(browser: Browser, browser_page: BrowserPage) -> AsyncIterator[Page]:
    """A page in a second browser (its own cookies), on the same server."""
    context = await browser.new_context(base_url=browser_page.base_url)
    yield await context.new_page()
    await context.close()


async def sign_up(page: Page, base_url: str, name: str) -> str:
    await page.goto(base_url + "/sign-up")
    return await sign_up_on_this_page(page, name)


async def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    await page.goto(base_url + "/sign-in")
    await fill_and_submit(page, {"#sign-in-email": email, "#sign-in-password": password}, "#sign-in-submit")
    await expect(page.locator("#signed-in-as")).to_be_visible()


async def open_mail(page: Page, base_url: str, to: str, subject: str) -> None:
    """Open the development mailbox and follow the link of the newest message to ``to``.

    The mail is sent after the answer (a task of its own) and the mailbox is a plain page: like
    a person, look again until it has arrived."""
    mail = page.locator("article.mail", has_text=to).filter(has_text=subject).first
    for _ in range(MAILBOX_LOOKS):
        await page.goto(base_url + "/_dev/mailbox")
        if await mail.count():
            break
        await asyncio.sleep(0.5)
    await mail.locator("a").click()


async def test_a_forgotten_password_through_the_mailbox_ends_the_other_sessions(
    browser_page: BrowserPage, other_browser: Page
) -> None:
    page, base = browser_page.page, browser_page.base_url
    email = await sign_up(page, base, "Ada")
    await page.click("#to-notes")
    await expect(page.locator("h1")).to_have_text("Your notes")  # a live page of the old session

    await other_browser.goto(base + "/sign-in")
    await other_browser.click("#to-forgot-password")
    await fill_and_submit(other_browser, {"#forgot-email": email}, "#forgot-submit")
    await expect(other_browser.locator("#forgot-message")).to_contain_text("If an account uses that address")
    await open_mail(other_browser, base, email, "Choose a new password")
    reset_url = other_browser.url
    await fill_and_submit(other_browser, {"#reset-password": NEW_PASSWORD}, "#reset-submit")
    await expect(other_browser.locator("#signed-in-as")).to_have_text("Signed in as Ada")

    # The old session's page leaves by itself, and says why.
    await expect(page).to_have_url(base + "/sign-in?reset=1")
    await expect(page.locator("#account-message")).to_contain_text("the account's password was changed")
    await fill_and_submit(page, {"#sign-in-email": email, "#sign-in-password": PASSWORD}, "#sign-in-submit")
    await expect(page.locator("#account-message")).to_have_text(
        "That e-mail address and password do not match an account."
    )
    # Back on the sign-in page, the address this tab typed there comes back by itself (the
    # form's draft, heavy's form recovery). Typing into the field while it arrives would add to
    # it: Playwright's fill selected the empty field, the draft came, the address went in twice.
    await page.goto(base + "/sign-in")
    await expect(page.locator("#sign-in-email")).to_have_value(email)
    await fill_and_submit(page, {"#sign-in-password": NEW_PASSWORD}, "#sign-in-submit")
    await expect(page.locator("#signed-in-as")).to_be_visible()

    await other_browser.goto(reset_url)  # the link a second time
    await expect(other_browser.locator("#reset-state")).to_have_text(
        "This link was already used: each link works once. Ask for a new one below."
    )


async def test_the_verification_link_confirms_the_address_and_an_expired_link_is_refused(
    browser_page: BrowserPage, database: Database
) -> None:
    page, base = browser_page.page, browser_page.base_url
    email = await sign_up(page, base, "Vera")
    await page.click("#to-account")
    await expect(page.locator("#account-email")).to_have_text(
        f"Your e-mail address {email} is not confirmed yet."
    )
    await open_mail(page, base, email, "Confirm your e-mail address")
    await expect(page.locator("#verify-message")).to_have_text(
        f"Thank you: your e-mail address {email} is confirmed."
    )
    await page.click("#verify-to-account")
    await expect(page.locator("#account-email")).to_have_text(f"Your e-mail address {email} is confirmed.")

    expired = uuid.uuid4().hex
    secret = Settings(_env_file=None).secret_key.get_secret_value()  # the test server's
    async with database.transaction():
        user = await managers().users.get_by_email(email)
        assert user is not None
        await managers().account_tokens.issue(
            token_digest(expired, secret), user.id, TokenPurpose.PASSWORD_RESET, email, timedelta(seconds=-1)
        )
    await page.goto(f"{base}/reset-password?token={expired}")
    await expect(page.locator("#reset-state")).to_have_text("This link has expired. Ask for a new one below.")
    await page.goto(f"{base}/reset-password?token=not-a-token")
    await expect(page.locator("#reset-state")).to_contain_text("This link is not valid")
    await page.click("#reset-state-new-link")
    await expect(page.locator("h1")).to_have_text("Forgot your password?")


async def test_the_sessions_page_ends_another_browsers_session(
    browser_page: BrowserPage, other_browser: Page
) -> None:
    page, base = browser_page.page, browser_page.base_url
    email = await sign_up(page, base, "Sam")
    await sign_in(other_browser, base, email)
    await other_browser.click("#to-notes")
    await expect(other_browser.locator("h1")).to_have_text("Your notes")

    await page.click("#to-account")
    await page.click("#to-sessions")
    sessions = page.locator("#session-list li")
    await expect(sessions).to_have_count(2)
    await expect(page.locator("#session-list")).to_contain_text("this browser")
    await expect(page.locator("#session-list")).to_contain_text("HeadlessChrome")
    await page.locator("#session-list button").click()  # the other one's End
    await expect(page.locator("#sessions-message")).to_have_text("Ended 1 session.")
    await expect(sessions).to_have_count(1)

    await expect(other_browser).to_have_url(base + "/sign-in?ended=1")
    await expect(other_browser.locator("#account-message")).to_have_text(
        "You were signed out: this session was ended from another browser."
    )
    await page.reload()
    await expect(page.locator("#signed-in-as")).to_have_text("Signed in as Sam")


async def test_deleting_the_account_needs_the_password_and_signs_out_everywhere(
    browser_page: BrowserPage, other_browser: Page
) -> None:
    page, base = browser_page.page, browser_page.base_url
    email = await sign_up(page, base, "Del")
    await page.click("#to-notes")
    await fill_and_submit(page, {"#new-note-title": "Mine", "#new-note-body": "to go"}, "#new-note-submit")
    await expect(page.locator("#note-message")).to_have_text("Added “Mine”.")
    await sign_in(other_browser, base, email)

    await page.click("#to-account")
    await fill_and_submit(page, {"#delete-password": "not my password"}, "#delete-account-submit")
    await expect(page.locator("#delete-message")).to_have_text("That is not your password.")
    await fill_and_submit(page, {"#delete-password": PASSWORD}, "#delete-account-submit")

    deleted = "The account was deleted, with everything in it, and signed out everywhere."
    for browser_page_of_it in (page, other_browser):
        await expect(browser_page_of_it).to_have_url(base + "/sign-in?deleted=1")
        await expect(browser_page_of_it.locator("#account-message")).to_have_text(deleted)
    await fill_and_submit(page, {"#sign-in-email": email, "#sign-in-password": PASSWORD}, "#sign-in-submit")
    await expect(page.locator("#account-message")).to_have_text(
        "That e-mail address and password do not match an account."
    )
