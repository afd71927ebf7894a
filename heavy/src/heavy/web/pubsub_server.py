"""Each server process's pub/sub hub and its presence counts, opened while the process serves.

The transport is what the deployment already has: Redis pub/sub when ``<PREFIX>REDIS_URL`` is
set, else PostgreSQL ``LISTEN``/``NOTIFY`` on the app's SQL database (the embedded one in
development). Processes that share the database (or the Redis) share the channel, named after
the app and the database, so two apps or two test databases on one server never cross.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

from heavy.data.db_connection import Database
from heavy.data.replicas import WritePositions
from heavy.live.presence import current_presence
from heavy.live.pubsub import PubSub, TopicMessage, Transport, using_pubsub
from heavy.live.transports import PostgresTransport, RedisTransport
from heavy.settings import HeavySettings

logger = logging.getLogger(__name__)

# How long a starting process waits for its transport before serving without it (an outage at
# start-up: the transport keeps trying and says so; pages here still get this process's messages).
FIRST_CONNECTION_SECONDS = 5.0


def pubsub_transport(app_name: str, settings: HeavySettings, database: Database) -> Transport:
    """Redis when the settings name one, else the SQL database's LISTEN/NOTIFY."""
    url = database.engine.url
    channel = f"heavy.{app_name}.{url.database or 'postgres'}"[:63]
    if settings.redis_url is not None:
        return RedisTransport(settings.redis_url, channel, client_name="heavy-pubsub")
    # LISTEN holds one server connection for good: never through a transaction pooler.
    return PostgresTransport(database.direct_sql_url, channel, application_name="heavy-pubsub")


@asynccontextmanager
async def serving_pubsub(transport: Transport) -> AsyncIterator[PubSub]:
    """This process's hub over ``transport``, listening, and its presence counts, for the block."""
    pubsub = PubSub(transport)
    with using_pubsub(pubsub):
        presence = current_presence()
        listening = asyncio.create_task(pubsub.run(), name="pubsub")
        await _first_connection(pubsub)
        heartbeats = asyncio.create_task(presence.run(), name="presence")
        try:
            yield pubsub
        finally:
            heartbeats.cancel()  # it says goodbye to the others first
            with suppress(asyncio.CancelledError):
                await heartbeats
            listening.cancel()
            with suppress(asyncio.CancelledError):
                await listening


async def _first_connection(pubsub: PubSub) -> None:
    """Wait until the transport listens, so the first heartbeats and publishes reach the others
    (sent before, they would only warn that they reached this process)."""
    listening = asyncio.Event()
    pubsub.on_reconnect(listening.set)
    with suppress(TimeoutError):
        async with asyncio.timeout(FIRST_CONNECTION_SECONDS):
            await listening.wait()


# Where the visitors' writes ended, between the processes (heavy.data.replicas).
WRITE_POSITIONS_TOPIC = "heavy.write-positions"


@contextmanager
def sharing_write_positions(pubsub: PubSub, database: Database) -> Iterator[None]:
    """With read replicas, tell the other processes where this one's writes ended, and hear
    theirs, for the block: a visitor's next page may be served by another instance."""
    if database.replicas is None:
        yield
        return
    positions = database.replicas.positions

    async def publish(key: str | None, position: int) -> None:
        await pubsub.publish(WRITE_POSITIONS_TOPIC, [key, position])

    subscription = pubsub.subscribe(WRITE_POSITIONS_TOPIC, lambda message: _heard(positions, message))
    positions.publisher = publish
    try:
        yield
    finally:
        positions.publisher = None
        subscription.close()


def _heard(positions: WritePositions, message: TopicMessage) -> None:
    match message.payload:
        case [str() | None as key, int() as position]:
            positions.heard(key, position)
        case _:
            pass  # a resync (nothing to read again) or a malformed message
