"""``AccountService``: sign up, sign in, sign out, and sessions, for pages and HTTP routes to call.

Every method that touches the SQL database expects the caller's transaction to be open (the
heavy wrappers open one for handlers; the HTTP routes open their own).

Sign-in never says which of e-mail and password was wrong, answers an unknown e-mail after the
same argon2 work as a wrong password, and counts every attempt against the e-mail address and
the client address before checking anything (a successful one gives its count back).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import timedelta

from heavy import utc_now

from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.data.model_managers.user_manager import (
    checked_email,
    clean_display_name,
    normalize_email,
)
from heavy_stack.backend.services.accounts import passwords
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.accounts.tokens import new_token, token_digest
from heavy_stack.backend.services.accounts.visitor import SignedInSession, Visitor
from heavy_stack.settings import Settings
from heavy_stack.shared_models.rate_limit import RateLimitCount
from heavy_stack.shared_models.user import User
from heavy_stack.shared_models.user_session import SessionPurpose, UserSession

logger = logging.getLogger(__name__)

# Long enough for a slow page load to follow it, short enough to be useless once it leaks.
HANDOFF_LIFETIME = timedelta(seconds=60)

# At most this many recently checked sessions are remembered (a few hundred bytes each).
RECENT_SESSIONS_KEPT = 10_000

WRONG_CREDENTIALS = "That e-mail address and password do not match an account."
TOO_MANY_ATTEMPTS = "Too many attempts. Try again in {minutes} minute{s}."
NO_BROWSER_COOKIE = (
    "Your browser did not keep this site's cookie, which signing in needs: allow cookies for "
    "this site, then reload the page."
)
# Without e-mail verification a sign-up cannot hide that an address is taken; this says only
# what to do next, and sign-ups are rate limited per client address.
EMAIL_UNAVAILABLE = "An account cannot be created for that e-mail address. If it is yours, sign in."


@dataclass(frozen=True)
class SignInResult:
    """Either a hand-off ticket for the browser to trade for a cookie, or a message to show."""

    ticket: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class AccountService:
    """The account operations, on the app's settings and stores."""

    settings: Settings
    stores: AccountStores
    # Sessions found valid lately, by token digest: (the session, trusted until this monotonic time).
    _recent: dict[str, tuple[SignedInSession, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    async def sign_up(self, visitor: Visitor, email: str, display_name: str, password: str) -> SignInResult:
        """Create an account and sign in to it."""
        if visitor.browser_binding is None:
            return SignInResult(error=NO_BROWSER_COOKIE)
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
            return SignInResult(error=EMAIL_UNAVAILABLE)
        logger.info("New account %s", user.id)
        return SignInResult(ticket=await self._start_handoff(user, visitor.browser_binding))

    async def sign_in(self, visitor: Visitor, email: str, password: str) -> SignInResult:
        """Check the password; on success, a ticket for the browser to trade for its cookie."""
        if visitor.browser_binding is None:
            return SignInResult(error=NO_BROWSER_COOKIE)
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
            return SignInResult(error=WRONG_CREDENTIALS)
        if not self._exempt(visitor):
            await self.stores.rate_limits.reset(account_key)
            await self.stores.rate_limits.add(address_key, self._window, amount=-1)  # its count back
        return SignInResult(ticket=await self._start_handoff(user, visitor.browser_binding))

    async def complete_sign_in(self, ticket: str, browser_binding: str | None) -> str | None:
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
            user_id=handoff.user_id, purpose=SessionPurpose.SIGNED_IN, expires_at=expires_at
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
        return await self.stores.sessions.get(self._digest(token)) is None

    async def delete_expired(self) -> int:
        """Forget expired sessions and counters (housekeeping; Redis does it by itself)."""
        return await self.stores.sessions.delete_expired() + await self.stores.rate_limits.delete_expired()

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


def _too_many(counted: RateLimitCount) -> str:
    minutes = max(1, math.ceil((counted.window_ends_at - utc_now()).total_seconds() / 60))
    return TOO_MANY_ATTEMPTS.format(minutes=minutes, s="" if minutes == 1 else "s")


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
