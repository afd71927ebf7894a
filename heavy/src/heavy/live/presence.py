"""Presence: how many live pages are on a topic right now, across every process of the app.

Each process counts its own pages per topic (``join`` while a page is there, e.g. every open
live page on ``PAGES``, a notes page on ``"note:12"``) and tells the others in a heartbeat on the
pub/sub hub: at once (within ``CHANGE_DELAY`` seconds) after its counts changed, and every
``HEARTBEAT_SECONDS`` anyway. A process adds up its own counts and the others' last ones; what a
process said expires ``EXPIRE_SECONDS`` after its last heartbeat, so the pages of a process killed
with ``kill -9`` (or cut off from the others) drop out of the totals within seconds. A process
that stops cleanly says goodbye, and its pages drop out at once.

Pages ``watch`` a topic: their function is called with the new total when it changes (at most
every ``NOTIFY_SECONDS``), ``NOTIFY_SLICE`` watchers at a time, one slice every
``SLICE_GAP_SECONDS``: each call re-renders a page, and 500 pages told in one turn of the event
loop would hold every other page's answer back behind 500 renders. A process tells about
``NOTIFY_PER_SECOND`` watchers a second at most: after a round that told more, the next waits
longer (up to ``NOTIFY_MAX_SECONDS``), so pages that only sit open cost a bounded share of a
core however many there are, while pages come and go all the time. Heartbeats carry at most
``TOPICS_PER_MESSAGE`` topics each, so any number of topics fits the transport's message size.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from heavy.live.pubsub import PubSub, TopicMessage, check_topic, current_pubsub

logger = logging.getLogger(__name__)

PAGES = "heavy:pages"
"""The presence topic every open live page joins: its total is "how many pages are open"."""

HEARTBEAT_TOPIC = "heavy:presence"
HEARTBEAT_SECONDS = 1.0
EXPIRE_SECONDS = 3.5
CHANGE_DELAY = 0.2
# Watchers hear of a new total at most this often: every open page shows the online count,
# and pages opening by the hundred must not re-render every page hundreds of times.
NOTIFY_SECONDS = 1.0
# Each call is a render and a websocket message (about 0.1 ms of CPU): 100 a second are about 1 %
# of a core. Told every second, 500 open pages would take 5 % of it while pages come and go.
NOTIFY_PER_SECOND = 100.0
NOTIFY_MAX_SECONDS = 10.0
# Watchers told per turn of the event loop, and the pause between two such turns: 500 watching
# pages are told over 0.2 s, in turns of a few milliseconds of renders each.
NOTIFY_SLICE = 25
SLICE_GAP_SECONDS = 0.01
TOPICS_PER_MESSAGE = 25

Watcher = Callable[[int], None]


class Presence:
    """The presence counts of one process over its hub ``pubsub`` (see the module docstring)."""

    def __init__(
        self,
        pubsub: PubSub,
        *,
        notify_seconds: float = NOTIFY_SECONDS,
        notify_per_second: float = NOTIFY_PER_SECOND,
    ) -> None:
        self.pubsub = pubsub
        self.notify_seconds = notify_seconds
        self.notify_per_second = notify_per_second
        self._local: Counter[str] = Counter()
        self._gone_here: set[str] = set()  # topics whose count fell to 0: said once as 0
        # Another process's count of a topic, and when it last said it.
        self._remote: dict[str, dict[str, tuple[int, float]]] = {}
        self._watchers: dict[str, set[Watcher]] = {}
        self._shown: dict[str, int] = {}
        self._notify_handle: asyncio.TimerHandle | None = None
        self._next_round_at = 0.0  # the event loop's time before which no round is due
        self._heartbeat_due: asyncio.Event | None = None

    # --- counting -------------------------------------------------------------------------

    def total(self, topic: str) -> int:
        """How many pages are on ``topic`` now, in this process and the others."""
        now = time.monotonic()
        remote = 0
        for counts in self._remote.values():
            entry = counts.get(topic)
            if entry is not None and now - entry[1] < EXPIRE_SECONDS:
                remote += entry[0]
        return self._local[topic] + remote

    def local(self, topic: str) -> int:
        """How many pages of this process are on ``topic``."""
        return self._local[topic]

    def join(self, topic: str) -> Callable[[], None]:
        """Count one more page on ``topic``; the function returned counts it out (once)."""
        check_topic(topic)
        self._local[topic] += 1
        self._gone_here.discard(topic)
        self._changed()
        left = False

        def leave() -> None:
            nonlocal left
            if left:
                return
            left = True
            self._local[topic] -= 1
            if self._local[topic] <= 0:
                del self._local[topic]
                self._gone_here.add(topic)
            self._changed()

        return leave

    @contextmanager
    def joined(self, topic: str) -> Iterator[None]:
        """Count one page on ``topic`` for the block."""
        leave = self.join(topic)
        try:
            yield
        finally:
            leave()

    def watch(self, topic: str, watcher: Watcher) -> Callable[[], None]:
        """Call ``watcher(total)`` whenever ``topic``'s total changes; returns the unwatch."""
        watchers = self._watchers.setdefault(topic, set())
        watchers.add(watcher)
        self._shown.setdefault(topic, self.total(topic))

        def unwatch() -> None:
            watchers.discard(watcher)
            if not watchers and self._watchers.get(topic) is watchers:
                del self._watchers[topic]
                self._shown.pop(topic, None)

        return unwatch

    def watcher_count(self) -> int:
        """Watchers in this process, of every topic."""
        return sum(len(watchers) for watchers in self._watchers.values())

    # --- telling the others, hearing them ---------------------------------------------------

    def _changed(self) -> None:
        self._schedule_notify()
        if self._heartbeat_due is not None:
            self._heartbeat_due.set()

    def _schedule_notify(self) -> None:
        if self._notify_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop (a first paint rendered outside one): nobody to tell
        at = max(loop.time() + self.notify_seconds, self._next_round_at)
        self._notify_handle = loop.call_at(at, self._notify)

    def _notify(self) -> None:
        self._notify_handle = None
        due: list[tuple[str, Watcher]] = []
        for topic, watchers in list(self._watchers.items()):
            total = self.total(topic)
            if self._shown.get(topic) != total:
                self._shown[topic] = total
                due += ((topic, watcher) for watcher in watchers)
        if not due:
            return
        loop = asyncio.get_running_loop()
        spacing = min(len(due) / self.notify_per_second, NOTIFY_MAX_SECONDS)
        self._next_round_at = loop.time() + spacing
        for number, start in enumerate(range(0, len(due), NOTIFY_SLICE)):
            loop.call_later(number * SLICE_GAP_SECONDS, self._tell, due[start : start + NOTIFY_SLICE])

    def _tell(self, due: list[tuple[str, Watcher]]) -> None:
        # The total shown when the slice's turn comes (a later round's, if one came meanwhile),
        # and only to watchers that still watch (the page may have closed since).
        for topic, watcher in due:
            if watcher not in self._watchers.get(topic, ()):
                continue
            try:
                watcher(self._shown[topic])
            except Exception:
                logger.exception("A presence watcher of %r failed", topic)

    def heard(self, message: TopicMessage) -> None:
        """A heartbeat of another process (or a resync: tell ours again at once)."""
        if message.resync:
            self._changed()
            return
        payload = message.payload
        if not isinstance(payload, dict) or not isinstance(instance := payload.get("i"), str):
            return
        if instance == self.pubsub.instance:
            return
        if payload.get("bye"):
            self._remote.pop(instance, None)
        else:
            counts = payload.get("c")
            if not isinstance(counts, dict):
                return
            now = time.monotonic()
            known = self._remote.setdefault(instance, {})
            for topic, count in counts.items():
                if isinstance(count, int) and count > 0:
                    known[topic] = (count, now)
                else:
                    known.pop(topic, None)
        self._schedule_notify()

    def _heartbeats(self) -> list[dict[str, Any]]:
        counts: dict[str, int] = dict(self._local)
        counts.update(dict.fromkeys(self._gone_here, 0))
        self._gone_here.clear()
        topics = list(counts)
        chunks = [
            topics[start : start + TOPICS_PER_MESSAGE] for start in range(0, len(topics), TOPICS_PER_MESSAGE)
        ]
        return [
            {"i": self.pubsub.instance, "c": {topic: counts[topic] for topic in chunk}}
            for chunk in chunks or [[]]
        ]

    def _expire(self) -> None:
        now = time.monotonic()
        for instance, counts in list(self._remote.items()):
            for topic, (_count, seen) in list(counts.items()):
                if now - seen >= EXPIRE_SECONDS:
                    del counts[topic]
            if not counts:
                del self._remote[instance]

    async def run(self) -> None:
        """Hear the others and send heartbeats until cancelled; then say goodbye."""
        subscription = self.pubsub.subscribe(HEARTBEAT_TOPIC, self.heard)
        self._heartbeat_due = asyncio.Event()
        try:
            while True:
                self._heartbeat_due.clear()
                if self.pubsub.connected:  # else told when it connects (a resync message)
                    for heartbeat in self._heartbeats():
                        await self.pubsub.publish(HEARTBEAT_TOPIC, heartbeat)
                self._expire()
                self._schedule_notify()
                # asyncio.timeout, not wait_for: Python 3.11's wait_for returns the event's result
                # when a cancel comes as it is set (a page that leaves as the server stops), and
                # this loop would outlive the stop that cancelled it.
                with suppress(TimeoutError):
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        await self._heartbeat_due.wait()
                    await asyncio.sleep(CHANGE_DELAY)  # changes come in bursts: one heartbeat for them
        finally:
            subscription.close()
            self._heartbeat_due = None
            with suppress(Exception):
                await asyncio.wait_for(
                    self.pubsub.publish(HEARTBEAT_TOPIC, {"i": self.pubsub.instance, "bye": True}), 1.0
                )


# --- the process's presence ---------------------------------------------------------------------


def current_presence() -> Presence:
    """This process's presence: the one over its hub (``current_pubsub``), made when first asked."""
    pubsub = current_pubsub()
    if pubsub.presence is None:
        pubsub.presence = Presence(pubsub)
    return pubsub.presence
