"""``AccountService``: sign up, sign in, sign out, and sessions, for pages and HTTP routes to call.

Every method that touches the SQL database expects the caller's transaction to be open (the
heavy wrappers open one for handlers; the HTTP routes open their own).

Sign-in never says which of e-mail and password was wrong, answers an unknown e-mail after the
same argon2 work as a wrong password, and counts every attempt against the e-mail address and
the client address before checking anything (a successful one gives its count back).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

from heavy import N_, Database, Mailer, MailNotSentError, NoMailer, OutgoingMail, ngettext, utc_now
from heavy import gettext as t

from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.data.model_managers.user_manager import (
    checked_email,
    clean_display_name,
    normalize_email,
)
from heavy_stack.backend.services.accounts import passwords
from heavy_stack.backend.services.accounts.devices import describe_device
from heavy_stack.backend.services.accounts.mail_messages import password_reset_mail, verification_mail
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.accounts.tokens import new_token, token_digest
from heavy_stack.backend.services.accounts.visitor import SignedInSession, Visitor
from heavy_stack.settings import Settings
from heavy_stack.shared_models.account_token import TokenPurpose, TokenState
from heavy_stack.shared_models.rate_limit import RateLimitCount
from heavy_stack.shared_models.user import User, UserId
from heavy_stack.shared_models.user_session import OpenSession, SessionPurpose, UserSession

logger = logging.getLogger(__name__)

# Long enough for a slow page load to follow it, short enough to be useless once it leaks.
HANDOFF_LIFETIME = timedelta(seconds=60)

# At most this many recently checked sessions are remembered (a few hundred bytes each).
RECENT_SESSIONS_KEPT = 10_000

# Shown in the visitor's language: the results carry them translated (``t(WRONG_CREDENTIALS)``).
WRONG_CREDENTIALS = N_("That e-mail address and password do not match an account.")
NO_BROWSER_COOKIE = N_(
    "Your browser did not keep this site's cookie, which signing in needs: allow cookies for "
    "this site, then reload the page."
)
# Without e-mail verification a sign-up cannot hide that an address is taken; this says only
# what to do next, and sign-ups are rate limited per client address.
EMAIL_UNAVAILABLE = N_("An account cannot be created for that e-mail address. If it is yours, sign in.")
# The one answer to "forgot my password", whether or not the address has an account.
RESET_MAIL_SENT = N_(
    "If an account uses that address, a link to choose a new password is on its way to it. "
    "The link works once, within {minutes} minutes."
)
VERIFICATION_SENT = N_("A link to confirm your address is on its way to {email}.")
ALREADY_VERIFIED = N_("Your e-mail address is already confirmed.")
TOKEN_REFUSED = {
    TokenState.EXPIRED: N_("This link has expired. Ask for a new one below."),
    TokenState.USED: N_("This link was already used: each link works once. Ask for a new one below."),
    TokenState.UNKNOWN: N_("This link is not valid (it may be incomplete). Ask for a new one below."),
}
EMAIL_CONFIRMED = N_("Thank you: your e-mail address {email} is confirmed.")
EMAIL_CHANGED = N_("This link was for an address your account no longer uses.")
WRONG_PASSWORD = N_("That is not your password.")
RESET_LINK_LIFETIME = timedelta(hours=1)
VERIFICATION_LINK_LIFETIME = timedelta(hours=48)
RESET_PASSWORD_PATH = "/reset-password"
VERIFY_EMAIL_PATH = "/verify-email"
# A session's "last seen" is written at most this often (a page load, a reconnect).
LAST_SEEN_PRECISION = timedelta(minutes=5)


@dataclass(frozen=True)
class SignInResult:
    """Either a hand-off ticket for the browser to trade for a cookie, or a message to show."""

    ticket: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class MailResult:
    """What to tell the person, and the message to send once the transaction has committed:
    ``mail``, or what ``compose`` makes in a transaction of its own after the commit (None: no
    message)."""

    message: str
    mail: OutgoingMail | None = None
    error: bool = False
    compose: Callable[[], Awaitable[OutgoingMail | None]] | None = None


@dataclass(frozen=True)
class EndedSessions:
    """Sessions a unit of work ended, by key, and why (None: the account was deleted): their
    live pages are told once it commits (``session_topic``)."""

    digests: dict[str, SessionPurpose | None] = field(default_factory=dict)


SESSION_TOPIC_PREFIX = "accounts.session-ended."


def session_topic(key: str) -> str:
    """The pub/sub topic on which the end of the session ``key`` is told to its live pages, in
    every process (``heavy.publish``). Its payload: ``{"why": "ended" | "reset" | "deleted"}``."""
    return SESSION_TOPIC_PREFIX + key


@dataclass(frozen=True)
class AccountService:
    """The account operations, on the app's settings and stores."""

    settings: Settings
    stores: AccountStores
    # Sends password-reset and verification mail (heavy.open_mailer gives the server's).
    mailer: Mailer = field(default_factory=NoMailer)
    # Mail being sent: kept until sent (the event loop holds tasks weakly).
    _sending: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False, compare=False)
    # Sessions found valid lately, by token digest: (the session, trusted until this monotonic time).
    _recent: dict[str, tuple[SignedInSession, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    async def sign_up(self, visitor: Visitor, email: str, display_name: str, password: str) -> SignInResult:
        """Create an account and sign in to it."""
        if visitor.browser_binding is None:
            return SignInResult(error=t(NO_BROWSER_COOKIE))
        problem = _email_problem(email) or _name_problem(display_name) or passwords.password_problem(password)
        if problem:
            return SignInResult(error=problem)
        limit = await self._count_attempt(
            visitor, (f"sign-up:address:{visitor.client_address}", self.settings.sign_ups_per_address)
        )
        if limit:
            return SignInResult(error=limit)
        user = await managers().accounts.create(email, display_name, await passwords.hash_password(password))
        if user is None:
            return SignInResult(error=t(EMAIL_UNAVAILABLE))
        logger.info("New account %s", user.id)
        return SignInResult(ticket=await self._start_handoff(user, visitor.browser_binding))

    async def verification_after_sign_up(self, visitor: Visitor, email: str) -> OutgoingMail | None:
        """The verification mail for an account just made with ``email`` (not counted against
        the mail limits: sign-ups have their own)."""
        user = await managers().users.get_by_email(email)
        return None if user is None else await self._verification_mail(visitor, user)

    async def sign_in(self, visitor: Visitor, email: str, password: str) -> SignInResult:
        """Check the password; on success, a ticket for the browser to trade for its cookie."""
        if visitor.browser_binding is None:
            return SignInResult(error=t(NO_BROWSER_COOKIE))
        account_key = f"sign-in:account:{self._digest(normalize_email(email))}"
        address_key = f"sign-in:address:{visitor.client_address}"
        limited = await self._count_attempt(
            visitor,
            (account_key, self.settings.sign_in_attempts_per_account),
            (address_key, self.settings.sign_in_attempts_per_address),
        )
        if limited:
            return SignInResult(error=limited)
        user = await self._check_password(email, password)
        if user is None:
            return SignInResult(error=t(WRONG_CREDENTIALS))
        if not self._exempt(visitor):
            await self.stores.rate_limits.reset(account_key)
            await self.stores.rate_limits.add(address_key, self._window, amount=-1)  # its count back
        return SignInResult(ticket=await self._start_handoff(user, visitor.browser_binding))

    async def complete_sign_in(
        self, ticket: str, browser_binding: str | None, user_agent: str = ""
    ) -> str | None:
        """Trade a hand-off ticket for a session token; None if it is not valid here and now.

        The ticket works once, within ``HANDOFF_LIFETIME``, and only in the browser that
        signed in (its binding cookie): a ticket sent to someone else signs nobody in, and
        their try leaves it unused, so whoever saw the link cannot spend it to lock its own
        browser out. It is read first and taken only by its own browser (``take`` is atomic:
        of two tries at once from that browser, one wins).
        """
        digest = self._digest(ticket)
        handoff = await self.stores.sessions.get(digest)
        if handoff is None or handoff.purpose is not SessionPurpose.HANDOFF:
            return None
        if browser_binding is None or handoff.browser_digest != self._digest(browser_binding):
            logger.warning("A sign-in link was opened in another browser than the one that signed in")
            return None
        if await self.stores.sessions.take(digest) is None:  # spent meanwhile by its own browser
            return None
        token = new_token()
        expires_at = utc_now() + timedelta(hours=self.settings.session_lifetime_hours)
        session = UserSession(
            user_id=handoff.user_id,
            purpose=SessionPurpose.SIGNED_IN,
            expires_at=expires_at,
            device=await describe_device(user_agent),
        )
        await self.stores.sessions.save(self._digest(token), session)
        # This request was anonymous until now: the line names the user itself.
        logger.info("Signed in: session started", extra={"user_id": str(handoff.user_id)})
        return token

    async def signed_in_session(self, token: str) -> SignedInSession | None:
        """The session a cookie names and its user, read now; None if it ended or expired."""
        return await self._read_session(token, self._digest(token))

    async def refresh(self, visitor: Visitor) -> Visitor:
        """The visitor with its session checked again: signed out if it ended meanwhile.

        A visitor whose cookie could not be checked yet (``unchecked_token``) is checked now.
        When the store cannot be reached this raises: the visitor stays as they were.

        A session found valid is trusted for ``session_recheck_seconds`` (never past its
        expiry): a click then costs no store round trip. Ending it through this service forgets
        that at once; an end seen only by the store (another process) counts within that time.
        """
        token = visitor.session.token if visitor.session is not None else visitor.unchecked_token
        if token is None:
            return visitor
        digest = self._digest(token)
        recent = self._recent.get(digest)
        if recent is not None and time.monotonic() < recent[1]:
            return visitor.signed_in(recent[0])
        session = await self._read_session(token, digest)
        return visitor.signed_out() if session is None else visitor.signed_in(session)

    async def _read_session(self, token: str, digest: str) -> SignedInSession | None:
        stored = await self.stores.sessions.get(digest)
        if stored is None or stored.purpose is not SessionPurpose.SIGNED_IN:
            self._recent.pop(digest, None)
            return None
        user = await managers().users.get(stored.user_id)
        if user is None:
            self._recent.pop(digest, None)
            return None
        session = SignedInSession(token, user)
        trust = min(self.settings.session_recheck_seconds, (stored.expires_at - utc_now()).total_seconds())
        if trust > 0:
            if len(self._recent) >= RECENT_SESSIONS_KEPT:
                self._forget_stale()
            self._recent[digest] = (session, time.monotonic() + trust)
        return session

    def _forget_stale(self) -> None:
        now = time.monotonic()
        for digest in [digest for digest, (_session, until) in self._recent.items() if until <= now]:
            del self._recent[digest]
        if len(self._recent) >= RECENT_SESSIONS_KEPT:  # all fresh: start over rather than grow
            self._recent.clear()

    async def sign_out(self, visitor: Visitor) -> Visitor:
        """End the visitor's session on the server: its cookie signs nobody in any more."""
        if visitor.session is not None:
            await self.end_session(visitor.session.token)
            logger.info("Signed out: session ended")
        return visitor.signed_out()

    async def end_session(self, token: str) -> None:
        digest = self._digest(token)
        self._recent.pop(digest, None)
        await self.stores.sessions.delete(digest)

    async def is_session_over(self, token: str) -> bool:
        session = await self.stores.sessions.get(self._digest(token))
        return session is None or session.purpose is not SessionPurpose.SIGNED_IN

    async def note_seen(self, token: str) -> None:
        """Record that the session was used now (the sessions page's "last seen"), at most
        every ``LAST_SEEN_PRECISION``."""
        digest = self._digest(token)
        stored = await self.stores.sessions.get(digest)
        now = utc_now()
        if stored is None or stored.purpose is not SessionPurpose.SIGNED_IN:
            return
        if stored.last_seen_at is None or now - stored.last_seen_at >= LAST_SEEN_PRECISION:
            await self.stores.sessions.seen(digest, now)

    # Password reset and e-mail verification

    async def request_password_reset(self, visitor: Visitor, email: str) -> MailResult:
        """The same answer whether or not ``email`` has an account, after the same work.

        Counted against the address asked about and the client's address. Nothing here looks
        the address up: whether it has an account is found after the commit, in the task that
        issues the link and sends the mail (``compose``, run by ``compose_and_send_soon``), so
        no answer comes faster or slower for an address without an account.
        """
        if problem := _email_problem(email):
            return MailResult(problem, error=True)
        if limited := await self._count_mail_request(visitor, "reset", email):
            return MailResult(limited, error=True)
        answer = t(RESET_MAIL_SENT).format(minutes=_minutes(RESET_LINK_LIFETIME))
        return MailResult(answer, compose=partial(self._password_reset_mail, email, visitor.site_url))

    async def _password_reset_mail(self, email: str, site_url: str) -> OutgoingMail | None:
        """A reset link issued and its message, for an address with an account; None otherwise."""
        user = await managers().users.get_by_email(email)
        if user is None:
            return None
        token = await self._issue(user, TokenPurpose.PASSWORD_RESET, RESET_LINK_LIFETIME)
        link = _link(site_url, RESET_PASSWORD_PATH, token)
        minutes = _minutes(RESET_LINK_LIFETIME)
        return password_reset_mail(user.email, user.display_name, link, self.settings.app_title, minutes)

    async def reset_link_state(self, token: str) -> TokenState:
        return await managers().account_tokens.state(self._digest(token), TokenPurpose.PASSWORD_RESET)

    async def reset_password(
        self, visitor: Visitor, token: str, new_password: str
    ) -> tuple[SignInResult, EndedSessions]:
        """Spend the link, store the new password, end every session of the account, and sign
        this browser in (a ticket, as a sign-in gives)."""
        if visitor.browser_binding is None:
            return SignInResult(error=t(NO_BROWSER_COOKIE)), EndedSessions()
        if problem := passwords.password_problem(new_password):
            return SignInResult(error=problem), EndedSessions()
        row, state = await managers().account_tokens.use(self._digest(token), TokenPurpose.PASSWORD_RESET)
        if row is None:
            return SignInResult(error=t(TOKEN_REFUSED[state])), EndedSessions()
        await managers().accounts.replace_password_hash(
            row.user_id, await passwords.hash_password(new_password)
        )
        await managers().account_tokens.withdraw_all(row.user_id, TokenPurpose.PASSWORD_RESET)
        ended = await self._end_all_sessions(row.user_id, SessionPurpose.RESET)
        if visitor.session is not None:  # this browser's own page is on its way to sign in anew
            ended.digests.pop(self._digest(visitor.session.token), None)
        # The link came by e-mail to that address: it is confirmed too.
        await managers().accounts.mark_email_verified(row.user_id, row.email)
        user = await managers().users.require(row.user_id)
        logger.info("Password reset: %d sessions ended", len(ended.digests), extra={"user_id": str(user.id)})
        return SignInResult(ticket=await self._start_handoff(user, visitor.browser_binding)), ended

    async def request_verification(self, visitor: Visitor) -> MailResult:
        """A new verification link for the signed-in user, rate limited."""
        user = visitor.user
        if user is None:
            return MailResult(t(WRONG_CREDENTIALS), error=True)
        current = await managers().users.require(user.id)
        if current.email_verified:
            return MailResult(t(ALREADY_VERIFIED))
        if limited := await self._count_mail_request(visitor, "verify", current.email):
            return MailResult(limited, error=True)
        return MailResult(
            t(VERIFICATION_SENT).format(email=current.email), await self._verification_mail(visitor, current)
        )

    async def verify_email(self, token: str) -> tuple[bool, str]:
        """Spend a verification link: whether the address is now confirmed, and what to say."""
        row, state = await managers().account_tokens.use(self._digest(token), TokenPurpose.EMAIL_VERIFICATION)
        if row is None:
            return False, t(TOKEN_REFUSED[state])
        if not await managers().accounts.mark_email_verified(row.user_id, row.email):
            return False, t(EMAIL_CHANGED)
        return True, t(EMAIL_CONFIRMED).format(email=row.email)

    def send_soon(self, mail: OutgoingMail | None) -> None:
        """Hand ``mail`` to the mailer in a task of its own: no answer waits for SMTP, so an
        address with an account is answered as fast as one without. Failures are logged."""
        if mail is not None:
            self._spawn(self._send(mail))

    def compose_and_send_soon(
        self, database: Database, compose: Callable[[], Awaitable[OutgoingMail | None]]
    ) -> None:
        """Make a message in a transaction of its own (``MailResult.compose``) and send it, in a
        task of its own (it keeps the language of the page that asked)."""

        async def compose_and_send() -> None:
            async with database.transaction():
                mail = await compose()
            if mail is not None:
                await self._send(mail)

        self._spawn(compose_and_send())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, mail: OutgoingMail) -> None:
        try:
            await self.mailer.send(mail)
        except MailNotSentError as error:
            logger.error("%s", error)

    # Sessions

    async def open_sessions(self, visitor: Visitor) -> list[OpenSession]:
        """The signed-in user's sessions, most recently used first, this browser's marked."""
        if visitor.session is None:
            return []
        this = self._digest(visitor.session.token)
        listed = await self.stores.sessions.list_signed_in(visitor.session.user.id)
        return [
            OpenSession(
                key=digest,
                device=session.device,
                signed_in_at=session.created_at,
                last_seen_at=session.last_seen_at,
                is_this_browser=digest == this,
            )
            for digest, session in listed
        ]

    async def end_other_sessions(self, visitor: Visitor, keys: list[str] | None = None) -> EndedSessions:
        """End the user's sessions named by ``keys`` (from ``open_sessions``), or all others;
        never the visitor's own (signing out does that)."""
        if visitor.session is None:
            return EndedSessions()
        this = self._digest(visitor.session.token)
        mine = {digest for digest, _ in await self.stores.sessions.list_signed_in(visitor.session.user.id)}
        chosen = mine if keys is None else mine & set(keys)
        ended: dict[str, SessionPurpose | None] = {}
        for digest in chosen - {this}:
            await self.stores.sessions.mark_ended(digest, SessionPurpose.ENDED)
            self._recent.pop(digest, None)
            ended[digest] = SessionPurpose.ENDED
        if ended:
            logger.info("Ended %d other sessions", len(ended))
        return EndedSessions(ended)

    async def why_ended(self, token: str) -> SessionPurpose | None:
        """Why the session was ended from elsewhere (its mark: ``ENDED``, ``RESET``), or None if
        it was not (live, signed out, expired). A page that may have missed the news asks."""
        marked = await self.stores.sessions.ended_among([self._digest(token)])
        return next(iter(marked.values()), None)

    def session_key(self, token: str) -> str:
        """What the server knows a session by (the digest of its token, which signs nobody in)."""
        return self._digest(token)

    # Deleting an account

    async def delete_account(self, visitor: Visitor, password: str) -> tuple[str | None, EndedSessions]:
        """Delete the signed-in user's account if ``password`` is theirs: the SQL rows (user,
        notes, credentials, sessions, tokens) in the caller's transaction. The caller then
        deletes the embeddings in the vector database (``NoteSearch.forget_owner``) after the
        commit. An error to show, or None; and the sessions ended."""
        user = visitor.user
        if user is None or visitor.session is None:
            return t(WRONG_CREDENTIALS), EndedSessions()
        found = await managers().accounts.find_with_password_hash(user.email)
        if found is None or not await passwords.verify_password(found[1], password):
            return t(WRONG_PASSWORD), EndedSessions()
        digests = [digest for digest, _ in await self.stores.sessions.list_signed_in(user.id)]
        await self.stores.sessions.delete_all(user.id)
        await managers().accounts.delete(user.id)
        for digest in digests:
            self._recent.pop(digest, None)
        logger.info("Account deleted", extra={"user_id": str(user.id)})
        return None, EndedSessions(dict.fromkeys(digests, None))

    async def delete_expired(self) -> int:
        """Forget expired sessions, counters and links (housekeeping; Redis does it by itself)."""
        return (
            await self.stores.sessions.delete_expired()
            + await self.stores.rate_limits.delete_expired()
            + await managers().account_tokens.delete_expired()
        )

    @property
    def _window(self) -> timedelta:
        return timedelta(minutes=self.settings.rate_limit_window_minutes)

    def _digest(self, value: str) -> str:
        return token_digest(value, self.settings.secret_key.get_secret_value())

    def _exempt(self, visitor: Visitor) -> bool:
        """Whether ``visitor`` comes from an address the operator exempted for load tests
        (``RATE_LIMIT_EXEMPT_ADDRESSES``, which PRODUCTION refuses)."""
        return visitor.client_address in self.settings.rate_limit_exempt_addresses

    async def _count_attempt(self, visitor: Visitor, *limits: tuple[str, int]) -> str | None:
        """Count one attempt against each ``(key, limit)``, stopping at the first one over it;
        the message to show then. Nothing is counted for an exempt address."""
        if self._exempt(visitor):
            return None
        for key, limit in limits:
            if problem := await self._count(key, limit):
                return problem
        return None

    async def _count(self, key: str, limit: int) -> str | None:
        """Count one attempt; the message to show if that goes over ``limit``."""
        counted = await self.stores.rate_limits.add(key, self._window)
        if counted.count <= limit:
            return None
        logger.warning("Rate limit hit: %s", key.rsplit(":", 1)[0])
        return _too_many(counted)

    async def _check_password(self, email: str, password: str) -> User | None:
        found = await managers().accounts.find_with_password_hash(email)
        if found is None:
            await passwords.spend_a_verification(password)
            return None
        user, password_hash = found
        if not await passwords.verify_password(password_hash, password):
            return None
        if passwords.needs_rehash(password_hash):
            new_hash = await passwords.hash_password(password)
            await managers().accounts.replace_password_hash(user.id, new_hash)
        return user

    async def _end_all_sessions(self, user_id: UserId, why: SessionPurpose) -> EndedSessions:
        ended: dict[str, SessionPurpose | None] = {}
        for digest, _session in await self.stores.sessions.list_signed_in(user_id):
            await self.stores.sessions.mark_ended(digest, why)
            self._recent.pop(digest, None)
            ended[digest] = why
        return EndedSessions(ended)

    async def _issue(self, user: User, purpose: TokenPurpose, lifetime: timedelta) -> str:
        token = new_token()
        await managers().account_tokens.issue(self._digest(token), user.id, purpose, user.email, lifetime)
        return token

    async def _verification_mail(self, visitor: Visitor, user: User) -> OutgoingMail:
        token = await self._issue(user, TokenPurpose.EMAIL_VERIFICATION, VERIFICATION_LINK_LIFETIME)
        link = _link(visitor.site_url, VERIFY_EMAIL_PATH, token)
        hours = int(VERIFICATION_LINK_LIFETIME.total_seconds() // 3600)
        return verification_mail(user.email, user.display_name, link, self.settings.app_title, hours)

    async def _count_mail_request(self, visitor: Visitor, kind: str, email: str) -> str | None:
        per_address = self.settings.account_mails_per_address
        return await self._count_attempt(
            visitor,
            (f"mail-{kind}:account:{self._digest(normalize_email(email))}", per_address),
            (f"mail:address:{visitor.client_address}", per_address * 4),
        )

    async def _start_handoff(self, user: User, browser_binding: str) -> str:
        ticket = new_token()
        handoff = UserSession(
            user_id=user.id,
            purpose=SessionPurpose.HANDOFF,
            expires_at=utc_now() + HANDOFF_LIFETIME,
            browser_digest=self._digest(browser_binding),
        )
        await self.stores.sessions.save(self._digest(ticket), handoff)
        return ticket


def _minutes(lifetime: timedelta) -> int:
    return int(lifetime.total_seconds() // 60)


def _link(site_url: str, path: str, token: str) -> str:
    return f"{site_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def _too_many(counted: RateLimitCount) -> str:
    minutes = max(1, math.ceil((counted.window_ends_at - utc_now()).total_seconds() / 60))
    return ngettext(
        "Too many attempts. Try again in {minutes} minute.",
        "Too many attempts. Try again in {minutes} minutes.",
        minutes,
    ).format(minutes=minutes)


def _email_problem(email: str) -> str | None:
    try:
        checked_email(email)
    except ValueError as error:
        return str(error)
    return None


def _name_problem(display_name: str) -> str | None:
    try:
        clean_display_name(display_name)
    except ValueError as error:
        return str(error)
    return None
