"""Publish/subscribe between live pages: a topic, a JSON payload, every subscriber of the topic.

Each server process has one ``PubSub`` (``current_pubsub()``). ``await publish(topic,
payload)`` hands the payload to this process's subscribers of ``topic`` at once and, when the
process has a ``Transport``, to every other process sharing it:

- ``PostgresTransport``: PostgreSQL ``LISTEN``/``NOTIFY`` on one dedicated connection per
  process (the deployment always has PostgreSQL, the embedded one too: nothing to install);
- ``RedisTransport``: Redis pub/sub, when the deployment has Redis (``heavy.web.app`` uses it
  when a Redis URL is set: no global lock per notifying COMMIT, more messages a second).

Without a transport (tests, a layout served without a server) delivery is local.

**Delivery.** A subscriber is a function called with each ``TopicMessage``, in order, one at a
time, on the event loop (an async one is awaited before the next). Its messages wait in a
queue of ``max_pending`` (64); when a subscriber falls that far behind (its async function is
slow, or stuck), the queue is emptied and it is given one ``TopicMessage`` with ``resync`` set:
"you missed messages; read again what you show". So memory stays bounded whatever a page does.
Subscribers get a resync message too when the transport reconnects after an outage (the
messages of the outage are lost). A subscription ends with ``Subscription.close`` (the hook
``heavy_use_topic`` closes it when its component unmounts or the page closes).

**Messages.** A topic is a non-empty string of at most 200 characters; a payload is any JSON
value of at most ``MAX_PAYLOAD_BYTES`` once encoded (PostgreSQL's NOTIFY takes 8000 bytes): a
small note of what changed ("note 12 saved"), not the data, which subscribers read from the
database themselves. Anything else is a ``ValueError``/``TypeError`` at the call, in words.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from uuid import uuid4

if TYPE_CHECKING:
    from heavy.live.presence import Presence

logger = logging.getLogger(__name__)

MAX_TOPIC_CHARS = 200
MAX_PAYLOAD_BYTES = 7000
MAX_PENDING = 64
# One WARNING per this many seconds while publishing to other processes fails.
_FAILURE_LOG_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class TopicMessage:
    """What a subscriber of ``topic`` receives.

    ``payload``: the JSON value published. ``resync``: messages may have been missed (the
    subscriber fell behind, or the connection between processes was lost and is back); the
    payload is ``None`` and the subscriber should read again what it shows.
    """

    topic: str
    payload: Any
    resync: bool = False


Deliver = Callable[[TopicMessage], Awaitable[object] | None]


class Transport(Protocol):
    """Carries encoded messages between the processes of a deployment."""

    async def run(self, received: Callable[[str], None], reconnected: Callable[[], None]) -> None:
        """Deliver what other processes send to ``received`` until cancelled; reconnect after a
        failure; call ``reconnected`` each time it listens (the first time too)."""

    async def send(self, data: str) -> None:
        """Send ``data`` to every process (this one may hear it too); raise if it cannot."""

    @property
    def connected(self) -> bool:
        """Whether it listens now."""


class Subscription:
    """One subscriber of one topic: a bounded queue of messages and the task that hands them over."""

    __slots__ = ("_deliver", "_draining", "_pending", "_pubsub", "closed", "max_pending", "topic")

    def __init__(self, pubsub: PubSub, topic: str, deliver: Deliver, max_pending: int) -> None:
        self._pubsub = pubsub
        self.topic = topic
        self._deliver = deliver
        self.max_pending = max_pending
        self._pending: deque[TopicMessage] = deque()
        self._draining: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def pending(self) -> int:
        """How many messages wait for the subscriber."""
        return len(self._pending)

    def offer(self, message: TopicMessage) -> None:
        """Queue ``message``; past ``max_pending`` waiting, replace them all by one resync."""
        if self.closed:
            return
        if message.resync or len(self._pending) >= self.max_pending:
            if len(self._pending) >= self.max_pending:
                self._pubsub.overflows += 1
            self._pending.clear()
            message = TopicMessage(self.topic, None, resync=True)
        self._pending.append(message)
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending:
                message = self._pending.popleft()
                try:
                    result = self._deliver(message)
                    if result is not None:
                        await result
                except Exception:
                    logger.exception("A subscriber of %r failed on a message", self.topic)
        finally:
            self._draining = None

    def close(self) -> None:
        """Stop receiving: the queue is dropped and the subscriber freed."""
        if self.closed:
            return
        self.closed = True
        self._pending.clear()
        if self._draining is not None:
            self._draining.cancel()
            self._draining = None
        self._pubsub._remove(self)


class PubSub:
    """The publish/subscribe hub of one server process (see the module docstring).

    ``instance``: this process's id, unique per start; messages it sent that come back
    through the transport are not delivered twice.
    """

    def __init__(self, transport: Transport | None = None, *, max_pending: int = MAX_PENDING) -> None:
        self.transport = transport
        self.max_pending = max_pending
        self.instance = uuid4().hex
        self._topics: dict[str, set[Subscription]] = {}
        self._on_reconnect: list[Callable[[], None]] = []
        self._last_failure_log = 0.0
        self.overflows = 0  # subscribers whose queue overflowed (each got a resync)
        self.presence: Presence | None = None  # its presence counts (``current_presence``)

    # --- subscribing ------------------------------------------------------------------------

    def subscribe(self, topic: str, deliver: Deliver) -> Subscription:
        """Call ``deliver(message)`` with each message published on ``topic`` until closed."""
        check_topic(topic)
        subscription = Subscription(self, topic, deliver, self.max_pending)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        subscribers = self._topics.get(subscription.topic)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._topics[subscription.topic]

    def subscriber_count(self, topic: str | None = None) -> int:
        """Subscribers of ``topic`` in this process (of every topic when ``None``)."""
        if topic is not None:
            return len(self._topics.get(topic, ()))
        return sum(len(subscribers) for subscribers in self._topics.values())

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` each time the transport starts listening (after an outage too)."""
        self._on_reconnect.append(callback)

    # --- publishing -------------------------------------------------------------------------

    async def publish(self, topic: str, payload: Any) -> None:
        """Deliver ``payload`` to the subscribers of ``topic`` here at once, and send it to the
        other processes. A transport that fails is logged (a WARNING every 30 s at most); this
        process's subscribers got the message anyway."""
        data = encode(topic, payload, self.instance)
        self._dispatch(TopicMessage(topic, payload))
        if self.transport is None:
            return
        try:
            await self.transport.send(data)
        except Exception as error:
            now = time.monotonic()
            if now - self._last_failure_log >= _FAILURE_LOG_SECONDS:
                self._last_failure_log = now
                logger.warning("Publishing on %r reached this process only: %s", topic, _describe(error))

    def _dispatch(self, message: TopicMessage) -> None:
        subscribers = self._topics.get(message.topic)
        if subscribers:
            for subscription in list(subscribers):
                subscription.offer(message)

    def received(self, data: str) -> None:
        """A message from the transport (another process's, or this one's coming back)."""
        try:
            envelope = json.loads(data)
            topic, payload, origin = envelope["t"], envelope.get("p"), envelope["o"]
        except (ValueError, KeyError, TypeError):
            logger.warning("Dropped a malformed pub/sub message (%d characters)", len(data))
            return
        if origin != self.instance and isinstance(topic, str):
            self._dispatch(TopicMessage(topic, payload))

    def reconnected(self) -> None:
        """The transport listens (again): every subscriber may have missed messages."""
        for subscribers in list(self._topics.values()):
            for subscription in list(subscribers):
                subscription.offer(TopicMessage(subscription.topic, None, resync=True))
        for callback in self._on_reconnect:
            callback()

    async def run(self) -> None:
        """Listen to the other processes until cancelled (nothing to do without a transport)."""
        if self.transport is not None:
            await self.transport.run(self.received, self.reconnected)

    @property
    def connected(self) -> bool:
        """Whether messages reach the other processes now (always, without a transport)."""
        return self.transport is None or self.transport.connected


def check_topic(topic: str) -> None:
    """A ``TypeError``/``ValueError`` in words unless ``topic`` is a usable topic."""
    if not isinstance(topic, str):
        raise TypeError(f"A topic is a string, not {type(topic).__name__}")
    if not 0 < len(topic) <= MAX_TOPIC_CHARS:
        raise ValueError(f"A topic has 1 to {MAX_TOPIC_CHARS} characters; this one has {len(topic)}")


def encode(topic: str, payload: Any, origin: str) -> str:
    """The message as sent between processes; refuses what is not JSON or is too large."""
    check_topic(topic)
    try:
        data = json.dumps({"t": topic, "p": payload, "o": origin}, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"The payload published on {topic!r} is not a JSON value: {error}") from None
    size = len(data.encode())
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"The payload published on {topic!r} takes {size:,} bytes; at most {MAX_PAYLOAD_BYTES:,} "
            "fit (publish what changed, and let subscribers read the data)"
        )
    return data


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# --- the process's hub ------------------------------------------------------------------------

_current = PubSub()


def current_pubsub() -> PubSub:
    """This process's hub: the server's once it serves (``using_pubsub``), else a local one."""
    return _current


@contextmanager
def using_pubsub(pubsub: PubSub) -> Iterator[PubSub]:
    """Make ``pubsub`` this process's hub for the block (the server does, while it serves)."""
    global _current
    previous, _current = _current, pubsub
    try:
        yield pubsub
    finally:
        _current = previous


async def publish(topic: str, payload: Any) -> None:
    """Send ``payload`` (a JSON value) to every subscriber of ``topic``, in every process.

    Inside a unit of work, use ``context.publish(topic, payload)`` instead: it publishes after
    the COMMIT, so subscribers that read the database see the write.
    """
    await _current.publish(topic, payload)
