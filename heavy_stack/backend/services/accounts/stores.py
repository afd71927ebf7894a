"""Where sessions and rate-limit counters live: PostgreSQL by default, Redis when configured.

Both stores have one interface each (``SessionStore``, ``RateLimitStore``), so the rest of
the accounts code does not know which it talks to. The PostgreSQL ones go through the usual
layers and work in the caller's transaction (the ``db_session`` of the handler, or one the HTTP
route opens); the Redis ones act at once. Redis forgets expired keys by itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from heavy import utc_now

from heavy_stack.backend.data.model_managers.rate_limit_counter_manager import RateLimitCounterManager
from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.data.model_managers.user_session_manager import UserSessionManager
from heavy_stack.settings import Settings
from heavy_stack.shared_models.rate_limit import RateLimitCount
from heavy_stack.shared_models.user import UserId
from heavy_stack.shared_models.user_session import ENDED_PURPOSES, SessionPurpose, UserSession

# How long an ended session's mark stays: every process's watch looks well within it.
ENDED_MARK_LIFETIME = timedelta(minutes=2)

if TYPE_CHECKING:
    from redis.asyncio import Redis


class SessionStore(Protocol):
    """Stored sessions, by the digest of their token. Expired sessions are never returned."""

    async def save(self, token_digest: str, session: UserSession) -> None: ...

    async def get(self, token_digest: str) -> UserSession | None: ...

    async def take(self, token_digest: str) -> UserSession | None:
        """Remove and return: a second ``take`` of the same digest gets None."""
        ...

    async def delete(self, token_digest: str) -> None: ...

    async def delete_all(self, user_id: UserId) -> None: ...

    async def list_signed_in(self, user_id: UserId) -> list[tuple[str, UserSession]]:
        """The user's signed-in sessions with their digests, most recently used first."""
        ...

    async def seen(self, token_digest: str, when: datetime) -> None:
        """Note that the session was used at ``when`` (the sessions page shows it)."""
        ...

    async def mark_ended(self, token_digest: str, purpose: SessionPurpose) -> None:
        """End a signed-in session, leaving a short-lived mark of why (``ENDED``, ``RESET``) that
        signs nobody in: every process's watch of live pages finds it (``ended_among``)."""
        ...

    async def ended_among(self, token_digests: Collection[str]) -> dict[str, SessionPurpose]:
        """Those of ``token_digests`` marked ended, and why (one round trip)."""
        ...

    async def delete_expired(self) -> int: ...


class RateLimitStore(Protocol):
    """Counters in fixed windows: the first ``add`` opens a window of ``window``."""

    async def add(self, key: str, window: timedelta, amount: int = 1) -> RateLimitCount: ...

    async def reset(self, key: str) -> None: ...

    async def delete_expired(self) -> int: ...


class SQLSessionStore:
    """Sessions in the ``user_sessions`` table."""

    @property
    def manager(self) -> UserSessionManager[UserSession]:
        return managers().user_sessions

    async def save(self, token_digest: str, session: UserSession) -> None:
        await self.manager.start(
            token_digest,
            session.user_id,
            session.purpose,
            session.expires_at,
            session.browser_digest,
            session.device,
        )

    async def get(self, token_digest: str) -> UserSession | None:
        return await self.manager.get(token_digest)

    async def take(self, token_digest: str) -> UserSession | None:
        return await self.manager.take(token_digest)

    async def delete(self, token_digest: str) -> None:
        await self.manager.end(token_digest)

    async def delete_all(self, user_id: UserId) -> None:
        await self.manager.end_all(user_id)

    async def list_signed_in(self, user_id: UserId) -> list[tuple[str, UserSession]]:
        return await self.manager.list_signed_in(user_id)

    async def seen(self, token_digest: str, when: datetime) -> None:
        await self.manager.seen(token_digest, when)

    async def mark_ended(self, token_digest: str, purpose: SessionPurpose) -> None:
        await self.manager.mark_ended(token_digest, purpose, utc_now() + ENDED_MARK_LIFETIME)

    async def ended_among(self, token_digests: Collection[str]) -> dict[str, SessionPurpose]:
        return await self.manager.ended_among(token_digests)

    async def delete_expired(self) -> int:
        return await self.manager.delete_expired()


class SQLRateLimitStore:
    """Counters in the ``rate_limit_counters`` table."""

    @property
    def manager(self) -> RateLimitCounterManager[RateLimitCount]:
        return managers().rate_limit_counters

    async def add(self, key: str, window: timedelta, amount: int = 1) -> RateLimitCount:
        return await self.manager.add(key, window, amount)

    async def reset(self, key: str) -> None:
        await self.manager.reset(key)

    async def delete_expired(self) -> int:
        return await self.manager.delete_expired()


@dataclass(frozen=True)
class RedisSessionStore:
    """Sessions as Redis strings that expire with the session; a set per user for sign-out."""

    redis: Redis
    prefix: str

    def _key(self, token_digest: str) -> str:
        return f"{self.prefix}session:{token_digest}"

    def _user_key(self, user_id: UserId) -> str:
        return f"{self.prefix}user-sessions:{user_id}"

    async def save(self, token_digest: str, session: UserSession) -> None:
        seconds = _seconds_until(session.expires_at)
        now = utc_now()
        stored = session.model_copy(update={"created_at": session.created_at or now, "last_seen_at": now})
        async with self.redis.pipeline(transaction=True) as pipeline:
            pipeline.set(self._key(token_digest), stored.model_dump_json(), ex=seconds)
            pipeline.sadd(self._user_key(session.user_id), token_digest)
            # The set lives as long as its longest session (GT: never shortened).
            pipeline.expire(self._user_key(session.user_id), seconds, gt=True)
            pipeline.expire(self._user_key(session.user_id), seconds, nx=True)
            await pipeline.execute()

    async def get(self, token_digest: str) -> UserSession | None:
        return _unexpired(await self.redis.get(self._key(token_digest)))

    async def take(self, token_digest: str) -> UserSession | None:
        return _unexpired(await self.redis.getdel(self._key(token_digest)))

    async def delete(self, token_digest: str) -> None:
        await self.redis.delete(self._key(token_digest))

    async def delete_all(self, user_id: UserId) -> None:
        digests = await self.redis.smembers(self._user_key(user_id))
        keys = [self._key(_text(digest)) for digest in digests]
        await self.redis.delete(self._user_key(user_id), *keys)

    async def list_signed_in(self, user_id: UserId) -> list[tuple[str, UserSession]]:
        digests = sorted(_text(digest) for digest in await self.redis.smembers(self._user_key(user_id)))
        if not digests:
            return []
        values = await self.redis.mget([self._key(digest) for digest in digests])
        found = [(digest, _unexpired(value)) for digest, value in zip(digests, values, strict=True)]
        sessions = [
            (digest, session)
            for digest, session in found
            if session is not None and session.purpose is SessionPurpose.SIGNED_IN
        ]
        return sorted(sessions, key=lambda item: item[1].last_seen_at or _EPOCH, reverse=True)

    async def seen(self, token_digest: str, when: datetime) -> None:
        session = await self.get(token_digest)
        if session is not None:
            updated = session.model_copy(update={"last_seen_at": when})
            await self.redis.set(self._key(token_digest), updated.model_dump_json(), keepttl=True, xx=True)

    async def mark_ended(self, token_digest: str, purpose: SessionPurpose) -> None:
        session = await self.get(token_digest)
        if session is not None:
            mark = session.model_copy(update={"purpose": purpose})
            seconds = int(ENDED_MARK_LIFETIME.total_seconds())
            await self.redis.set(self._key(token_digest), mark.model_dump_json(), ex=seconds, xx=True)

    async def ended_among(self, token_digests: Collection[str]) -> dict[str, SessionPurpose]:
        digests = list(token_digests)
        if not digests:
            return {}
        values = await self.redis.mget([self._key(digest) for digest in digests])
        found = {digest: _unexpired(value) for digest, value in zip(digests, values, strict=True)}
        return {
            digest: session.purpose
            for digest, session in found.items()
            if session is not None and session.purpose in ENDED_PURPOSES
        }

    async def delete_expired(self) -> int:
        return 0  # Redis expires the keys itself


@dataclass(frozen=True)
class RedisRateLimitStore:
    """Counters as Redis integers that expire with their window."""

    redis: Redis
    prefix: str

    async def add(self, key: str, window: timedelta, amount: int = 1) -> RateLimitCount:
        name = f"{self.prefix}rate:{key}"
        async with self.redis.pipeline(transaction=True) as pipeline:
            pipeline.incrby(name, amount)
            pipeline.pexpire(name, window, nx=True)  # the first count opens the window
            pipeline.pttl(name)
            count, _, milliseconds_left = await pipeline.execute()
        return RateLimitCount(
            count=count, window_ends_at=utc_now() + timedelta(milliseconds=milliseconds_left)
        )

    async def reset(self, key: str) -> None:
        await self.redis.delete(f"{self.prefix}rate:{key}")

    async def delete_expired(self) -> int:
        return 0


@dataclass
class AccountStores:
    """The two stores the app uses, and the Redis connection behind them, if any."""

    sessions: SessionStore = field(default_factory=SQLSessionStore)
    rate_limits: RateLimitStore = field(default_factory=SQLRateLimitStore)
    redis: Redis | None = None

    @classmethod
    def open(cls, settings: Settings) -> AccountStores:
        """Redis stores if ``redis_url`` is set (connecting lazily), else PostgreSQL ones."""
        if settings.redis_url is None:
            return cls()
        from redis.asyncio import Redis  # imported here: only Redis set-ups need it

        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=5, socket_timeout=5)
        # Keys are named after the cookie (so after the project): apps may share one Redis.
        prefix = f"{settings.session_cookie_name}:"
        return cls(RedisSessionStore(redis, prefix), RedisRateLimitStore(redis, prefix), redis)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


_EPOCH = datetime.fromtimestamp(0, UTC)


def _seconds_until(moment: datetime) -> int:
    return max(1, int((moment - datetime.now(UTC)).total_seconds()))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _unexpired(stored: bytes | str | None) -> UserSession | None:
    if stored is None:
        return None
    session = UserSession.model_validate_json(stored)
    return session if session.expires_at > utc_now() else None
