"""Links sent by e-mail (password reset, address verification), sessions and account deletion,
on the service with a real PostgreSQL: what each link may do, once, in time, and what it ends."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from heavy import OutgoingMail
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.data.sql_models import HeavyModel
from heavy_stack.backend.services.accounts.service import (
    TOKEN_REFUSED,
    AccountService,
    MailResult,
)
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.accounts.tokens import token_digest
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.settings import Settings
from heavy_stack.shared_models.account_token import TokenPurpose, TokenState
from heavy_stack.shared_models.user import User
from heavy_stack.shared_models.user_session import SessionPurpose

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
SETTINGS = Settings(_env_file=None, account_mails_per_address=3)
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@dataclass
class Browser:
    """A browser as the service sees one: its binding cookie, and the session it holds."""

    accounts: AccountService
    binding: str = field(default_factory=lambda: uuid.uuid4().hex)
    address: str = field(default_factory=lambda: f"10.0.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")
    token: str | None = None

    @property
    def visitor(self) -> Visitor:
        return Visitor(self.address, self.binding)

    async def signed_in(self) -> Visitor:
        assert self.token is not None
        session = await self.accounts.signed_in_session(self.token)
        return self.visitor if session is None else self.visitor.signed_in(session)

    async def take(self, result_ticket: str | None) -> None:
        assert result_ticket is not None
        self.token = await self.accounts.complete_sign_in(result_ticket, self.binding, CHROME)

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        await self.take((await self.accounts.sign_in(self.visitor, email, password)).ticket)


@pytest.fixture
def accounts() -> AccountService:
    return AccountService(SETTINGS, AccountStores())


@pytest.fixture
async def account(accounts: AccountService, db_session: AsyncSession) -> tuple[User, Browser]:
    browser = Browser(accounts)
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    await browser.take((await accounts.sign_up(browser.visitor, email, "Ada", PASSWORD)).ticket)
    user = await managers().users.get_by_email(email)
    assert user is not None
    return user, browser


async def composed(result: MailResult) -> OutgoingMail | None:
    """The mail a result sends after the commit (made in the test's transaction here)."""
    if result.compose is None:
        return result.mail
    return await result.compose()


async def reset_token(accounts: AccountService, visitor: Visitor, email: str) -> str:
    return token_in(await composed(await accounts.request_password_reset(visitor, email)))


def token_in(mail: OutgoingMail | None) -> str:
    assert mail is not None
    [link] = [word for word in mail.text.split() if word.startswith("http")]
    return parse_qs(urlsplit(link).query)["token"][0]


async def test_forgot_password_answers_the_same_for_unknown_addresses_and_mails_only_real_ones(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, browser = account
    known = await accounts.request_password_reset(browser.visitor, user.email.upper())
    unknown = await accounts.request_password_reset(
        browser.visitor, f"nobody-{uuid.uuid4().hex[:6]}@example.com"
    )
    assert known.message == unknown.message
    assert not known.error
    assert not unknown.error
    # Neither answer looked the address up: that happens after the commit, in the mail's task.
    assert await managers().account_tokens.list(managers().account_tokens.model.user_id == user.id) == []
    assert await composed(unknown) is None
    mail = await composed(known)
    assert mail is not None
    assert mail.to == user.email
    assert "http://127.0.0.1:8000/reset-password?token=" in mail.text


async def test_a_reset_link_works_once_ends_every_session_and_signs_this_browser_in(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, other_browser = account
    this_browser = Browser(accounts)
    token = await reset_token(accounts, this_browser.visitor, user.email)
    older = await reset_token(accounts, this_browser.visitor, user.email)
    assert await accounts.reset_link_state(token) is TokenState.VALID
    old_session = other_browser.token
    assert old_session is not None

    result, ended = await accounts.reset_password(this_browser.visitor, token, NEW_PASSWORD)
    assert result.error is None
    assert ended.digests == {accounts.session_key(old_session): SessionPurpose.RESET}
    assert await accounts.signed_in_session(old_session) is None  # the other browser is signed out
    await this_browser.take(result.ticket)
    assert (await this_browser.signed_in()).user == user.model_copy(update={"email_verified": True})

    again, _ = await accounts.reset_password(this_browser.visitor, token, "yet another passphrase")
    assert again.error == TOKEN_REFUSED[TokenState.USED]
    withdrawn, _ = await accounts.reset_password(this_browser.visitor, older, "yet another passphrase")
    assert withdrawn.error == TOKEN_REFUSED[TokenState.UNKNOWN]  # every other reset link is void
    assert (await accounts.sign_in(this_browser.visitor, user.email, PASSWORD)).ticket is None
    assert (await accounts.sign_in(this_browser.visitor, user.email, NEW_PASSWORD)).ticket is not None


async def test_expired_unknown_and_misdirected_links_are_refused_in_words(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, browser = account
    expired = "an-expired-token"
    await managers().account_tokens.issue(
        token_digest(expired, SETTINGS.secret_key.get_secret_value()),
        user.id,
        TokenPurpose.PASSWORD_RESET,
        user.email,
        timedelta(seconds=-1),
    )
    assert await accounts.reset_link_state(expired) is TokenState.EXPIRED
    result, _ = await accounts.reset_password(browser.visitor, expired, NEW_PASSWORD)
    assert result.error == "This link has expired. Ask for a new one below."
    result, _ = await accounts.reset_password(browser.visitor, "made-up", NEW_PASSWORD)
    assert result.error == TOKEN_REFUSED[TokenState.UNKNOWN]
    # A verification link is not a reset link, nor the other way round.
    verification = token_in((await accounts.request_verification(await browser.signed_in())).mail)
    assert await accounts.reset_link_state(verification) is TokenState.UNKNOWN
    # A short new password is refused before the link is spent.
    reset = await reset_token(accounts, browser.visitor, user.email)
    result, _ = await accounts.reset_password(browser.visitor, reset, "short")
    assert result.error is not None
    assert "at least" in result.error
    assert await accounts.reset_link_state(reset) is TokenState.VALID


async def test_reset_mails_are_rate_limited_per_address(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, _browser = account
    answers = [await accounts.request_password_reset(Browser(accounts).visitor, user.email) for _ in range(4)]
    assert [answer.error for answer in answers] == [False, False, False, True]
    assert answers[-1].message.startswith("Too many attempts")
    assert answers[-1].mail is None
    assert answers[-1].compose is None


async def test_a_verification_link_confirms_the_address_once(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, browser = account
    mail = await accounts.verification_after_sign_up(browser.visitor, user.email)
    token = token_in(mail)
    assert not (await managers().users.require(user.id)).email_verified
    assert await accounts.verify_email(token) == (
        True,
        f"Thank you: your e-mail address {user.email} is confirmed.",
    )
    assert (await managers().users.require(user.id)).email_verified
    assert await accounts.verify_email(token) == (False, TOKEN_REFUSED[TokenState.USED])
    already = await accounts.request_verification(await browser.signed_in())
    assert (already.message, already.mail) == ("Your e-mail address is already confirmed.", None)


async def test_sessions_are_listed_and_others_ended_never_this_one(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, first = account
    second, third = Browser(accounts), Browser(accounts)
    await second.sign_in(user.email)
    await third.sign_in(user.email)
    visitor = await first.signed_in()
    listed = await accounts.open_sessions(visitor)
    assert len(listed) == 3
    assert [session.is_this_browser for session in listed].count(True) == 1
    assert {session.device for session in listed} == {"Chrome 131 (Linux)"}

    assert second.token is not None
    assert third.token is not None
    ended = await accounts.end_other_sessions(visitor, [accounts.session_key(second.token)])
    assert ended.digests == {accounts.session_key(second.token): SessionPurpose.ENDED}
    assert await accounts.signed_in_session(second.token) is None
    assert await accounts.signed_in_session(third.token) is not None
    # Keys of another user's sessions, or made up, end nothing.
    assert (await accounts.end_other_sessions(visitor, ["not-a-key"])).digests == {}

    ended = await accounts.end_other_sessions(visitor)
    assert list(ended.digests) == [accounts.session_key(third.token)]
    assert [session.is_this_browser for session in await accounts.open_sessions(visitor)] == [True]


async def test_deleting_an_account_needs_its_password_and_removes_its_rows(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, browser = account
    await managers().notes.create(user.id, "A note", "its text")
    token_in(await accounts.verification_after_sign_up(browser.visitor, user.email))
    visitor = await browser.signed_in()

    problem, ended = await accounts.delete_account(visitor, "not the password")
    assert problem == "That is not your password."
    assert ended.digests == {}
    assert await managers().users.get(user.id) is not None

    problem, ended = await accounts.delete_account(visitor, PASSWORD)
    assert problem is None
    assert browser.token is not None
    assert list(ended.digests) == [accounts.session_key(browser.token)]
    assert await managers().users.get(user.id) is None
    assert await managers().notes.list_owned(user.id) == []
    assert await accounts.signed_in_session(browser.token) is None
    assert await managers().accounts.find_with_password_hash(user.email) is None
    assert await managers().account_tokens.list(managers().account_tokens.model.user_id == user.id) == []


async def test_a_reset_from_a_signed_in_browser_ends_its_session_without_sending_its_page_away(
    accounts: AccountService, account: tuple[User, Browser]
) -> None:
    user, browser = account
    visitor = await browser.signed_in()
    token = await reset_token(accounts, visitor, user.email)
    result, ended = await accounts.reset_password(visitor, token, NEW_PASSWORD)
    assert result.ticket is not None  # it is signed in afresh, by the ticket
    assert ended.digests == {}  # so its own page is not told to go to sign in
    assert browser.token is not None
    assert await accounts.signed_in_session(browser.token) is None


def test_every_table_that_names_a_user_goes_with_the_user() -> None:
    """Deleting an account deletes its ``users`` row and relies on the foreign keys for the
    rest: a new table that references users without ON DELETE CASCADE would keep the person's
    rows (or refuse the deletion)."""
    keys = [
        (table.name, key.parent.name, key.ondelete)
        for table in HeavyModel.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table.name == "users"
    ]
    assert keys, "no table references users?"
    assert [key for key in keys if key[2] != "CASCADE"] == []
