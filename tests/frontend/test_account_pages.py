"""Sign-in and sign-up pages in process: messages, rate limits, signing out, requiring a user."""

from __future__ import annotations

import pytest
from heavy import UNAVAILABLE_WHILE_LOADING
from heavy.data.db_connection import Database, create_engine, create_sessionmaker
from heavy.testing.page_driver import InProcessPage
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.services.accounts.service import (
    EMAIL_UNAVAILABLE,
    NO_BROWSER_COOKIE,
    WRONG_CREDENTIALS,
)
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.backend.web.accounts import SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH
from heavy_stack.settings import Settings
from heavy_stack_testing.brython import navigation_urls, wait_for_navigation
from heavy_stack_testing.fixtures.pages import BROWSER_BINDING, PASSWORD, NewAccount, OpenPage

from tests.frontend.test_notes_pages import UNREACHABLE

ANONYMOUS = Visitor("192.0.2.7", BROWSER_BINDING)


async def submit_sign_in(page: InProcessPage, email: str, password: str) -> None:
    await page.type("sign-in-email", email)
    await page.type("sign-in-password", password)
    await page.submit("sign-in-form")


async def expect_sign_in_answer(
    open_page: OpenPage, visitor: Visitor, email: str, password: str, answer: str
) -> None:
    """One attempt on a fresh page (each answer shows once the handler has run)."""
    async with open_page("/sign-in", visitor=visitor) as page:
        await submit_sign_in(page, email, password)
        await page.wait_for_text("account-message", answer)


async def test_a_right_password_sends_the_browser_to_a_one_time_link(
    open_page: OpenPage, new_account: NewAccount
) -> None:
    user = (await new_account()).user
    assert user is not None
    async with open_page("/sign-in?next=/notes", visitor=ANONYMOUS) as page:
        await submit_sign_in(page, user.email.upper(), PASSWORD)  # e-mails are normalised
        url = await wait_for_navigation(page)
    assert url.startswith(SIGN_IN_COMPLETE_PATH + "?ticket=")
    assert url.endswith("&next=%2Fnotes")


@pytest.mark.parametrize("known_email", [True, False], ids=["wrong-password", "unknown-email"])
async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    open_page: OpenPage, new_account: NewAccount, known_email: bool
) -> None:
    user = (await new_account()).user
    assert user is not None
    email = user.email if known_email else "nobody-here@example.com"
    async with open_page("/sign-in", visitor=ANONYMOUS) as page:
        await submit_sign_in(page, email, PASSWORD + " but wrong")
        await page.wait_for_text("account-message", WRONG_CREDENTIALS)
        assert navigation_urls(page) == []


async def test_an_account_is_locked_for_a_while_after_too_many_wrong_passwords(
    open_page: OpenPage, new_account: NewAccount, settings: Settings
) -> None:
    settings.sign_in_attempts_per_account = 3
    user = (await new_account()).user
    assert user is not None
    for attempt in range(3):
        await expect_sign_in_answer(
            open_page, ANONYMOUS, user.email, f"guess number {attempt}", WRONG_CREDENTIALS
        )
    async with open_page("/sign-in", visitor=ANONYMOUS) as page:
        await submit_sign_in(page, user.email, PASSWORD)  # even the right one, now
        await page.wait_for_text("account-message", "Too many attempts. Try again in 15 minutes.")
        assert navigation_urls(page) == []


async def test_one_client_address_cannot_try_many_accounts(
    open_page: OpenPage, new_account: NewAccount, settings: Settings
) -> None:
    settings.sign_in_attempts_per_address = 2
    for number in range(2):
        email = f"victim-{number}@example.com"
        await expect_sign_in_answer(open_page, ANONYMOUS, email, "a guessed password", WRONG_CREDENTIALS)
    await expect_sign_in_answer(open_page, ANONYMOUS, "victim-3@example.com", "a guess", "Too many attempts")
    # Another address is not affected.
    user = (await new_account()).user
    assert user is not None
    async with open_page("/sign-in", visitor=Visitor("198.51.100.9", BROWSER_BINDING)) as page:
        await submit_sign_in(page, user.email, PASSWORD)
        await wait_for_navigation(page)


async def test_successful_sign_ins_do_not_use_up_the_address_allowance(
    open_page: OpenPage, new_account: NewAccount, settings: Settings
) -> None:
    settings.sign_in_attempts_per_address = 2
    user = (await new_account()).user
    assert user is not None
    for _ in range(3):
        async with open_page("/sign-in", visitor=ANONYMOUS) as page:
            await submit_sign_in(page, user.email, PASSWORD)
            await wait_for_navigation(page)


async def test_signing_in_needs_the_browser_binding_cookie(
    open_page: OpenPage, new_account: NewAccount
) -> None:
    user = (await new_account()).user
    assert user is not None
    async with open_page("/sign-in", visitor=Visitor("192.0.2.7", None)) as page:
        await submit_sign_in(page, user.email, PASSWORD)
        await page.wait_for_text("account-message", NO_BROWSER_COOKIE)


@pytest.mark.parametrize(
    ("email", "name", "password", "message"),
    [
        ("not-an-email", "Ada", PASSWORD, "Enter an e-mail address"),
        ("ada@example.com", "   ", PASSWORD, "A display name cannot be empty."),
        ("ada@example.com", "Ada", "short", "at least 10 characters"),
    ],
)
async def test_sign_up_explains_bad_input_and_keeps_it(
    open_page: OpenPage, email: str, name: str, password: str, message: str
) -> None:
    async with open_page("/sign-up", visitor=ANONYMOUS) as page:
        await page.type("sign-up-email", email)
        await page.type("sign-up-name", name)
        await page.type("sign-up-password", password)
        await page.submit("sign-up-form")
        await page.wait_for_text("account-message", message)
        assert navigation_urls(page) == []


async def test_sign_up_with_a_taken_email_says_what_to_do(
    open_page: OpenPage, new_account: NewAccount, db_session: AsyncSession
) -> None:
    user = (await new_account()).user
    assert user is not None
    async with open_page("/sign-up", visitor=ANONYMOUS) as page:
        await page.type("sign-up-email", " " + user.email.upper())
        await page.type("sign-up-name", "Someone Else")
        await page.type("sign-up-password", "another long password")
        await page.submit("sign-up-form")
        await page.wait_for_text("account-message", EMAIL_UNAVAILABLE)


async def test_a_page_that_needs_a_user_sends_others_to_sign_in(open_page: OpenPage) -> None:
    async with open_page("/notes", visitor=ANONYMOUS) as page:
        link = await page.wait_for_element("sign-in-to-continue")
        assert page.layout.find(tag="h1").text == "Sign in to continue"
        assert "/sign-in?next=%2Fnotes" in str(link.model)
        assert await page.follow_redirect() == "/sign-in?next=%2Fnotes"
        await page.wait_for_element("sign-in-form")


async def test_signing_out_ends_the_session_on_the_server(
    open_page: OpenPage, new_account: NewAccount, rolled_back_services: AppServices
) -> None:
    visitor = await new_account()
    assert visitor.session is not None
    async with open_page("/notes", visitor=visitor) as page:
        await page.wait_for_text("signed-in-as", "Signed in as Ada")
        await page.click("sign-out")
        assert await wait_for_navigation(page) == SIGN_OUT_COMPLETE_PATH
        await page.wait_for_element("sign-in-to-continue")  # the page knows at once
    assert await rolled_back_services.accounts.signed_in_session(visitor.session.token) is None


async def test_a_session_ended_elsewhere_is_noticed_at_the_next_action(
    open_page: OpenPage, new_account: NewAccount, rolled_back_services: AppServices
) -> None:
    visitor = await new_account()
    async with open_page("/notes", visitor=visitor) as page:
        await page.wait_for_element("new-note-form")
        await rolled_back_services.accounts.sign_out(visitor)  # e.g. signed out in another tab
        await page.type("new-note-title", "Written after signing out")
        await page.submit("new-note-form")
        await page.wait_for_element("sign-in-to-continue")


async def test_a_cookie_the_database_could_not_check_waits_instead_of_signing_out(
    open_page: OpenPage, new_account: NewAccount, settings: Settings
) -> None:
    ada = await new_account()
    assert ada.session is not None
    unchecked = ada.unchecked(ada.session.token)  # as the handshake leaves it while the store is away
    down_engine = create_engine(UNREACHABLE, pool_size=1)
    down_sessions = create_sessionmaker(down_engine)
    database_down = AppServices(Database(down_engine, down_sessions, down_engine, down_sessions), settings)
    try:
        async with open_page("/notes", visitor=unchecked, services=database_down) as page:
            await page.wait_for_element("sign-in-unchecked")
            await page.wait_for_text("app-notice", UNAVAILABLE_WHILE_LOADING)
            assert not page.layout.has(id="sign-in-to-continue")
            assert page.text("checking-sign-in") == "Checking your sign-in…"
    finally:
        await down_engine.dispose()

    # The database answers: the same cookie is checked, and the page continues signed in.
    async with open_page("/notes", visitor=unchecked) as page:
        await page.wait_for_element("new-note-form")
        await page.wait_for_text("signed-in-as", "Ada")
