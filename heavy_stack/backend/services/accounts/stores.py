"""Where sessions and rate-limit counters live: PostgreSQL by default, Redis when configured.

Both stores have one interface each (``SessionStore``, ``RateLimitStore``), so the rest of
the accounts code does not know which it talks to. The PostgreSQL ones go through the usual
layers and work in the caller's transaction (the ``db_session`` of the handler, or one the HTTP
route opens); the Redis ones act at once. Redis forgets expired keys by itself.
"""

from __future__ import annotations

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
from heavy_stack.shared_models.user_session import UserSession

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
            token_digest, session.user_id, session.purpose, session.expires_at, session.browser_digest
        )

    async def get(self, token_digest: str) -> UserSession | None:
        return await self.manager.get(token_digest)

    async def take(self, token_digest: str) -> UserSession | None:
        return await self.manager.take(token_digest)

    async def delete(self, token_digest: str) -> None:
        await self.manager.end(token_digest)

    async def delete_all(self, user_id: UserId) -> None:
        await self.manager.end_all(user_id)

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
        async with self.redis.pipeline(transaction=True) as pipeline:
            pipeline.set(self._key(token_digest), session.model_dump_json(), ex=seconds)
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


def _seconds_until(moment: datetime) -> int:
    return max(1, int((moment - datetime.now(UTC)).total_seconds()))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _unexpired(stored: bytes | str | None) -> UserSession | None:
    if stored is None:
        return None
    session = UserSession.model_validate_json(stored)
    return session if session.expires_at > utc_now() else None
