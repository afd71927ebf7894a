"""The load-test allowance: rate limits off for the addresses an operator names, never in PRODUCTION."""

from __future__ import annotations

import pytest

from heavy_stack.backend.services.accounts.service import WRONG_CREDENTIALS
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.settings import Settings, StartupError, load_settings
from heavy_stack_testing.brython import navigation_urls, wait_for_navigation
from heavy_stack_testing.fixtures.pages import BROWSER_BINDING, PASSWORD, NewAccount, OpenPage

from tests.frontend.test_account_pages import expect_sign_in_answer, submit_sign_in
from tests.test_settings import PRODUCTION_OK

LOAD_GENERATOR = Visitor("127.0.0.1", BROWSER_BINDING)
SOMEONE_ELSE = Visitor("192.0.2.44", BROWSER_BINDING)


async def sign_up(open_page: OpenPage, visitor: Visitor, email: str) -> list[str]:
    """The hand-off links a sign-up gave (none when it was refused)."""
    async with open_page("/sign-up", visitor=visitor) as page:
        await page.type("sign-up-email", email)
        await page.type("sign-up-name", "Load Test")
        await page.type("sign-up-password", PASSWORD)
        await page.submit("sign-up-form")
        await page.wait_until(
            lambda: bool(navigation_urls(page)) or "Too many" in page.text("account-message")
        )
        return navigation_urls(page)


async def test_sign_ups_from_an_exempt_address_are_not_limited_and_others_still_are(
    open_page: OpenPage, settings: Settings
) -> None:
    settings.sign_ups_per_address = 1
    settings.rate_limit_exempt_addresses = ["127.0.0.1"]
    for number in range(3):
        assert await sign_up(open_page, LOAD_GENERATOR, f"loadtest-{number}@example.com")
    assert await sign_up(open_page, SOMEONE_ELSE, "first@example.com")
    assert not await sign_up(open_page, SOMEONE_ELSE, "second@example.com")


async def test_sign_ins_from_an_exempt_address_are_not_limited_per_account_or_address(
    open_page: OpenPage, new_account: NewAccount, settings: Settings
) -> None:
    settings.sign_in_attempts_per_account = settings.sign_in_attempts_per_address = 1
    settings.rate_limit_exempt_addresses = ["127.0.0.1"]
    user = (await new_account()).user
    assert user is not None
    for attempt in range(3):
        await expect_sign_in_answer(
            open_page, LOAD_GENERATOR, user.email, f"wrong {attempt}", WRONG_CREDENTIALS
        )
    for _ in range(2):
        async with open_page("/sign-in", visitor=LOAD_GENERATOR) as page:
            await submit_sign_in(page, user.email, PASSWORD)
            await wait_for_navigation(page)
    await expect_sign_in_answer(open_page, SOMEONE_ELSE, user.email, "wrong", WRONG_CREDENTIALS)
    await expect_sign_in_answer(open_page, SOMEONE_ELSE, user.email, PASSWORD, "Too many attempts")


def test_the_allowance_is_a_comma_separated_list_outside_production(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HEAVY_STACK_RATE_LIMIT_EXEMPT_ADDRESSES", " 127.0.0.1, ::1 ,")
    assert load_settings().rate_limit_exempt_addresses == ["127.0.0.1", "::1"]


def test_production_refuses_the_allowance_at_start_up_in_one_line(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in (PRODUCTION_OK | {"rate_limit_exempt_addresses": "127.0.0.1"}).items():
        clean_env.setenv(f"HEAVY_STACK_{name.upper()}", str(value))
    with pytest.raises(StartupError) as refused:
        load_settings()
    assert str(refused.value).splitlines() == [
        "PRODUCTION keeps its rate limits: unset HEAVY_STACK_RATE_LIMIT_EXEMPT_ADDRESSES "
        "(a load-test allowance, for DEV servers only)."
    ]
