"""How pub/sub messages travel between the processes of a deployment (``heavy.live.pubsub``).

- ``PostgresTransport``: ``LISTEN``/``NOTIFY`` on one dedicated asyncpg connection per process,
  which also sends (``pg_notify``). Every deployment has PostgreSQL, the embedded one included.
- ``RedisTransport``: Redis pub/sub, for deployments that run Redis.

Both reconnect on their own after an outage (from 0.5 s apart, doubling, up to 5 s), check
their connection every ``ping_seconds`` (a connection that died silently, or a server that
stopped answering, is given up within two of them), bound every wait on the server by
``CONNECT_SECONDS``, and call ``reconnected`` (also after the first connection) so that
subscribers read again what they show.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import asyncpg
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

PING_SECONDS = 5.0
CONNECT_SECONDS = 5.0
FIRST_RETRY_SECONDS = 0.5
LAST_RETRY_SECONDS = 5.0


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://...``, a unix socket's ``?host=`` too) as asyncpg's DSN."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class _Reconnecting:
    """The reconnect loop both transports share: connect, listen until lost, wait, again."""

    name = "pub/sub"

    def __init__(self, ping_seconds: float) -> None:
        self.ping_seconds = ping_seconds
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    async def run(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        delay = FIRST_RETRY_SECONDS
        outage_logged = False
        first = True
        while True:
            try:
                await self._connect(received)
            except (
                OSError,
                TimeoutError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                *self._errors(),
            ) as error:
                if not outage_logged:
                    logger.warning("%s cannot connect (%s); retrying", self.name, type(error).__name__)
                    outage_logged = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAST_RETRY_SECONDS)
                continue
            self._connected = True
            delay = FIRST_RETRY_SECONDS
            if not first:
                logger.info("%s listens again", self.name)
            # The first time too: a page that subscribed before may have missed messages.
            reconnected()
            first, outage_logged = False, False
            try:
                await self._listen_until_lost()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                logger.warning("%s lost its connection (%s); reconnecting", self.name, type(error).__name__)
                outage_logged = True
            finally:
                self._connected = False
                await self._disconnect_within_bounds()

    async def _disconnect_within_bounds(self) -> None:
        # A hung server must not hold the loop here: the next connection is what matters.
        try:
            async with asyncio.timeout(CONNECT_SECONDS):
                await self._disconnect()
        except TimeoutError:
            logger.warning(
                "%s: closing the lost connection timed out; left to the garbage collector", self.name
            )

    def _errors(self) -> tuple[type[BaseException], ...]:
        return ()

    async def _connect(self, received: Callable[[str], None]) -> None:
        raise NotImplementedError

    async def _listen_until_lost(self) -> None:
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError


class PostgresTransport(_Reconnecting):
    """``LISTEN``/``NOTIFY`` on ``channel`` over one asyncpg connection of its own.

    ``NOTIFY`` payloads are limited to 8000 bytes (``MAX_PAYLOAD_BYTES`` keeps under it); each
    notifying COMMIT takes a cluster-wide lock, so a deployment publishing thousands of
    messages a second should use ``RedisTransport``.
    """

    name = "pub/sub on PostgreSQL"

    def __init__(
        self,
        url: str,
        channel: str = "heavy_pubsub",
        application_name: str | None = None,
        ping_seconds: float = PING_SECONDS,
    ) -> None:
        super().__init__(ping_seconds)
        self.dsn = asyncpg_dsn(url)
        self.channel = channel
        self.application_name = application_name
        self._connection: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._lock = asyncio.Lock()  # one statement at a time on the connection

    async def _connect(self, received: Callable[[str], None]) -> None:
        settings = {"application_name": self.application_name} if self.application_name else None
        connection = await asyncpg.connect(self.dsn, timeout=CONNECT_SECONDS, server_settings=settings)
        self._lost = asyncio.Event()
        lost = self._lost
        connection.add_termination_listener(lambda _connection: lost.set())

        def notified(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
            received(payload)

        try:
            await connection.add_listener(self.channel, notified)
        except BaseException:
            connection.terminate()
            raise
        self._connection = connection

    async def _listen_until_lost(self) -> None:
        connection = self._connection
        assert connection is not None
        while not self._lost.is_set():
            with suppress(TimeoutError):  # not wait_for: see heavy.live.presence (Presence.run)
                async with asyncio.timeout(self.ping_seconds):
                    await self._lost.wait()
            if not self._lost.is_set():
                async with self._lock:
                    await connection.fetchval("SELECT 1", timeout=CONNECT_SECONDS)
        raise ConnectionError("the server closed the connection")

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def send(self, data: str) -> None:
        connection = self._connection
        if connection is None or not self._connected:
            raise ConnectionError("not connected to PostgreSQL")
        async with self._lock:
            await connection.execute("SELECT pg_notify($1, $2)", self.channel, data, timeout=CONNECT_SECONDS)

    def server_pid(self) -> int | None:
        """The PostgreSQL backend pid of the listening connection (None while not connected)."""
        connection = self._connection
        return None if connection is None else connection.get_server_pid()


class RedisTransport(_Reconnecting):
    """Redis pub/sub on ``channel``: one connection listens, the client's pool sends.

    ``client_name`` names the connections in Redis's ``CLIENT LIST``, as ``application_name``
    does in PostgreSQL's ``pg_stat_activity``.
    """

    name = "pub/sub on Redis"

    def __init__(
        self,
        url: str,
        channel: str = "heavy_pubsub",
        client_name: str | None = None,
        ping_seconds: float = PING_SECONDS,
    ) -> None:
        super().__init__(ping_seconds)
        self.url = url
        self.channel = channel
        self.client_name = client_name
        self._redis: Redis | None = None
        self._listening: Any = None
        self._received: Callable[[str], None] | None = None

    def _errors(self) -> tuple[type[BaseException], ...]:
        from redis.exceptions import RedisError

        return (RedisError,)

    async def _connect(self, received: Callable[[str], None]) -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(
            self.url,
            client_name=self.client_name,
            socket_connect_timeout=CONNECT_SECONDS,
            socket_timeout=CONNECT_SECONDS,
            socket_keepalive=True,
        )
        listening = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await listening.subscribe(self.channel)
        except BaseException:
            await listening.aclose()  # type: ignore[no-untyped-call]
            await redis.aclose()
            raise
        self._redis, self._listening, self._received = redis, listening, received

    async def _listen_until_lost(self) -> None:
        listening, received = self._listening, self._received
        assert listening is not None
        assert received is not None
        clock = asyncio.get_running_loop().time
        last_heard = last_ping = clock()
        while True:
            # Redis answers a PING on a subscribed connection as a message: silence after one
            # means the server stopped answering (a reset connection raises on its own).
            message = await listening.get_message(timeout=self.ping_seconds)
            now = clock()
            if message is not None:
                last_heard = now
                if message.get("type") == "message":
                    data = message["data"]
                    received(data.decode() if isinstance(data, bytes) else str(data))
            if now - last_heard >= 2 * self.ping_seconds:
                raise ConnectionError(f"Redis did not answer a PING within {self.ping_seconds:g} s")
            if now - last_ping >= self.ping_seconds:
                last_ping = now
                await listening.ping()

    async def _disconnect(self) -> None:
        listening, redis = self._listening, self._redis
        self._listening = self._redis = self._received = None
        with suppress(Exception):
            if listening is not None:
                await listening.aclose()
            if redis is not None:
                await redis.aclose()

    async def send(self, data: str) -> None:
        redis = self._redis
        if redis is None or not self._connected:
            raise ConnectionError("not connected to Redis")
        await redis.publish(self.channel, data)
