"""Read replicas: where a read-only unit of work reads, and read-your-writes for its visitor.

With ``<PREFIX>SQL_READ_URLS`` set (streaming replicas of the SQL database), a unit of work
opened read-only (``heavy_event(..., reads_only=True)``, ``heavy_use_effect(..., reads_only=True)``,
``Database.transaction(read_only=True)``) reads on a replica; every other unit uses the primary.
The vector database is not replicated here.

**Which replica.** The least busy one that is up (fewest connections checked out of its own
small pool; ties taken in turn); one whose pool is all taken is passed over. A replica that
fails to connect or errors is marked down for ``DOWN_SECONDS``: one WARNING when it goes down,
one INFO when it answers again, never a line per request. The unit that met the failure is run
again on another replica or the primary (``ReplicaUnavailableError``; the heavy hooks do that),
so the visitor sees nothing.

**Read-your-writes.** A unit that wrote notes, right after its COMMIT, where the primary's WAL
is flushed to (``pg_current_wal_flush_lsn()``, one round trip on a pooled connection) for the
connection it ran for (``ReadScope``: one per websocket connection or HTTP request, which the
server opens) and for its visitor (``read_as(key)``: the product names who it is, e.g. the
browser's cookie or the signed-in user). A later read-only unit of that connection or visitor
reads on a replica only once it has replayed past that position (``pg_last_wal_replay_lsn()``);
else it polls the replicas for up to ``WAIT_SECONDS`` and then reads on the primary (and, for
``WAIT_AGAIN_SECONDS`` after such a wait ran out, without waiting). Visitors who wrote nothing read
any replica at once.

The visitors' positions are kept in each server process (``WritePositions``) and sent to the
others over the server's pub/sub (Redis, or PostgreSQL NOTIFY: see ``heavy.web.pubsub_server``),
so a reload that lands on another instance finds them; they are forgotten after
``REMEMBER_SECONDS`` (far beyond a healthy replica's lag).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from heavy.data.held_connection import release_held_connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

logger = logging.getLogger(__name__)

# How long a reader waits for a replica to replay past its visitor's last write before reading
# on the primary; how often it looks meanwhile.
WAIT_SECONDS = 0.1
POLL_SECONDS = 0.01
# After a wait that ran out, how long readers who wrote read on the primary without waiting.
WAIT_AGAIN_SECONDS = 1.0
# How long a replica that failed is left out.
DOWN_SECONDS = 5.0
# How long a visitor's last write position is kept: far beyond a healthy replica's lag, so that
# only a replica minutes behind (broken; nothing here watches its lag) could show them older data.
REMEMBER_SECONDS = 300.0
# Where reads went when they did not go to a replica (``ReadReplicas.reads``).
PRIMARY = "primary"


class ReplicaUnavailableError(RuntimeError):
    """A read-only unit's replica failed (refused, lost or timed out); it is marked down, and the
    unit may run again elsewhere. The cause is chained."""


def lsn_number(text: str) -> int:
    """A PostgreSQL WAL position (``'16/B374D848'``) as a number, for comparing."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def visitor_digest(key: str) -> str:
    """What stands for a visitor's key in memory and between processes (never the key itself:
    it may be a cookie's value)."""
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


@dataclass(slots=True)
class ReadScope:
    """The reads of one websocket connection or HTTP request: whose they are (``key``, a
    digest) and the last write of its own they must see (``position``, until ``until``)."""

    key: str | None = None
    position: int = 0
    until: float = 0.0
    # Set for one unit: a position it must see besides (a message about another's write).
    at_least: int = 0

    def needs(self, now: float) -> int:
        return max(self.position if now < self.until else 0, self.at_least)


_scope: ContextVar[ReadScope | None] = ContextVar("heavy_read_scope", default=None)


def start_read_scope() -> ReadScope:
    """Reads from here on in this task (and the tasks it starts) are one connection's."""
    scope = ReadScope()
    _scope.set(scope)
    return scope


def current_read_scope() -> ReadScope | None:
    return _scope.get()


def read_as(visitor_key: str | None) -> None:
    """The current connection's reads are those of the visitor ``visitor_key`` (a browser's
    cookie, a user id: any string that names them on every instance), so they see that
    visitor's writes made elsewhere too. ``None``: this connection's own writes only."""
    scope = _scope.get()
    if scope is not None:
        scope.key = None if visitor_key is None else visitor_digest(visitor_key)


@contextmanager
def reading_at_least(position: int) -> Iterator[None]:
    """The read-only units opened in this block (and the tasks it starts) read where
    ``position`` is replayed: a message told of a write that ended there."""
    if position <= 0:
        yield
        return
    scope = _scope.get() or ReadScope()
    token = _scope.set(ReadScope(scope.key, scope.position, scope.until, max(position, scope.at_least)))
    try:
        yield
    finally:
        _scope.reset(token)


Publisher = Callable[[str | None, int], Awaitable[None]]


@dataclass
class WritePositions:
    """Where each visitor's last write ended, and the newest write heard of, in this process."""

    remember_seconds: float = REMEMBER_SECONDS
    # Sends a position to the other processes (the server sets it while its pub/sub runs).
    publisher: Publisher | None = None
    latest: int = 0
    _positions: dict[str, tuple[int, float]] = field(default_factory=dict)

    def of(self, key: str | None, now: float) -> int:
        found = None if key is None else self._positions.get(key)
        if found is None or found[1] <= now:
            return 0
        return found[0]

    def heard(self, key: str | None, position: int) -> None:
        """A write of ``key``'s visitor (None: of nobody known) ended at ``position``."""
        self.latest = max(self.latest, position)
        if key is None:
            return
        now = time.monotonic()
        if len(self._positions) > 1000 and len(self._positions) % 1000 == 0:
            self._forget_old(now)
        known = self._positions.get(key)
        if known is None or known[0] < position:
            self._positions[key] = (position, now + self.remember_seconds)

    async def wrote(self, key: str | None, position: int) -> None:
        """This process's write: kept, and sent to the others."""
        self.heard(key, position)
        if self.publisher is not None:
            await self.publisher(key, position)

    def _forget_old(self, now: float) -> None:
        for key in [key for key, (_position, until) in self._positions.items() if until <= now]:
            del self._positions[key]

    def __len__(self) -> int:
        return len(self._positions)


class Replica:
    """One read replica: its engine (a small pool of its own), whether it answers, and how far
    it was last seen to have replayed."""

    def __init__(
        self,
        name: str,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        capacity: int | None = None,
    ) -> None:
        self.name = name
        self.capacity = capacity  # the most connections its pool gives at once (None: no limit)
        self.engine = engine
        self.sessionmaker = sessionmaker  # its read-only units' sessions
        self.replayed = 0
        self.down_until = 0.0
        self.failing = False
        self.failures = 0  # errors its engine has seen (connecting, statements)

    def is_up(self, now: float) -> bool:
        return now >= self.down_until

    @property
    def busy(self) -> int:
        """Connections checked out of its pool now."""
        checkedout = getattr(self.engine.pool, "checkedout", None)
        return int(checkedout()) if callable(checkedout) else 0

    @property
    def full(self) -> bool:
        """Whether its pool has no connection left to give (a unit would wait in its checkout)."""
        return self.capacity is not None and self.busy >= self.capacity

    def failed(self) -> None:
        """Its engine met an error (told by SQLAlchemy's ``handle_error``)."""
        self.failures += 1

    def mark_down(self, error: BaseException, down_seconds: float) -> None:
        """Leave it out for ``down_seconds``; one WARNING when it starts failing."""
        self.down_until = time.monotonic() + down_seconds
        if not self.failing:
            self.failing = True
            logger.warning(
                "Read replica %s is unavailable (%s): its reads go to the other replicas or the "
                "primary, and it is tried again every %g s",
                self.name,
                _describe(error),
                down_seconds,
            )

    def answered(self, chosen_at: float) -> None:
        """A unit chosen at ``chosen_at`` read there; once one chosen after its time out has,
        it is back (units sent before it failed may still end well meanwhile)."""
        if self.failing and chosen_at >= self.down_until:
            self.failing = False
            logger.info("Read replica %s answers again", self.name)

    async def has_replayed(self, position: int) -> bool:
        """Whether it has replayed past ``position`` (asks only when not seen so far yet)."""
        if self.replayed >= position:
            return True
        async with self.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            # Past SQLAlchemy: no BEGIN, one round trip. NULL on a server that is not a standby.
            driver: Any = raw.driver_connection
            try:
                text = await driver.fetchval("SELECT pg_last_wal_replay_lsn()::text")
            except BaseException as error:
                await connection.invalidate(error)  # not back to the pool: it may be lost
                raise
        if text is not None:
            self.replayed = max(self.replayed, lsn_number(text))
        return self.replayed >= position


class ReadReplicas:
    """The SQL database's read replicas (see the module docstring): which one a read-only unit
    reads on, the visitors' write positions, and where reads went (``reads``)."""

    def __init__(
        self,
        replicas: Sequence[Replica],
        *,
        wait_seconds: float = WAIT_SECONDS,
        down_seconds: float = DOWN_SECONDS,
        positions: WritePositions | None = None,
    ) -> None:
        self.replicas = list(replicas)
        self.wait_seconds = wait_seconds
        self.down_seconds = down_seconds
        self.positions = positions if positions is not None else WritePositions()
        self.reads: dict[str, int] = {replica.name: 0 for replica in self.replicas} | {PRIMARY: 0}
        self.waits = 0  # reads that waited for a replica to replay their visitor's write
        self._waits_again_at = 0.0
        self._turn = count()

    @property
    def pool_sizes(self) -> int:
        """How many connections their pools keep, together (their overflow aside)."""
        return sum((replica.capacity or 0) // 2 for replica in self.replicas)

    def needed_position(self) -> int:
        """What the current connection's reads must see (0: anything)."""
        scope = _scope.get()
        if scope is None:
            return 0
        now = time.monotonic()
        return max(scope.needs(now), self.positions.of(scope.key, now))

    async def choose(self) -> Replica | None:
        """The replica the current read-only unit reads on; None: the primary."""
        needed = self.needed_position()
        now = time.monotonic()
        # After a wait that ran out (the replicas lag, or their replay is paused), readers who
        # wrote go to the primary at once for a while, rather than each waiting in vain.
        may_wait = now >= self._waits_again_at
        deadline = now + (self.wait_seconds if may_wait else 0.0)
        waited = False
        while True:
            up = self._up_in_order()
            for replica in up:
                try:
                    if needed == 0 or await replica.has_replayed(needed):
                        self.reads[replica.name] += 1
                        return replica
                except Exception as error:
                    replica.mark_down(error, self.down_seconds)
            if time.monotonic() >= deadline or not up:
                if waited:
                    self._waits_again_at = time.monotonic() + WAIT_AGAIN_SECONDS
                self.reads[PRIMARY] += 1
                return None
            if not waited:
                waited = True
                self.waits += 1
            await asyncio.sleep(POLL_SECONDS)

    def _up_in_order(self) -> list[Replica]:
        now = time.monotonic()
        # A replica whose pool is taken whole is skipped: the unit reads on another, or the primary.
        up = [replica for replica in self.replicas if replica.is_up(now) and not replica.full]
        if len(up) > 1:
            turn = next(self._turn) % len(up)
            up = up[turn:] + up[:turn]
            up.sort(key=lambda replica: replica.busy)  # stable: equally busy ones stay in turn
        return up

    async def wrote(self, primary: AsyncEngine) -> None:
        """A unit of the current connection committed a write on ``primary``: its reads, and its
        visitor's, must see it from now on."""
        try:
            async with primary.connect() as connection:
                raw = await connection.get_raw_connection()
                # The flush position, not the write one: a standby gets only flushed WAL, and WAL
                # written past this commit (other units', async commits) may wait for the WAL
                # writer (wal_writer_delay, 200 ms). A synchronous COMMIT is flushed: it is in.
                driver: Any = raw.driver_connection
                text = await driver.fetchval("SELECT pg_current_wal_flush_lsn()::text")
        except Exception as error:  # the write is stored; only where it ended is unknown
            logger.warning("Could not read where a write ended (%s): reads go on as before", _describe(error))
            return
        position = lsn_number(text)
        scope = _scope.get()
        if scope is not None:
            scope.position = max(scope.position, position)
            scope.until = time.monotonic() + self.positions.remember_seconds
        await self.positions.wrote(None if scope is None else scope.key, position)

    async def close(self) -> None:
        """Close the replicas' pools; say where this process's reads went."""
        logger.info("Read-only units: %s", self.summary())
        for replica in self.replicas:
            await release_held_connection(replica.engine)
            await replica.engine.dispose()

    def summary(self) -> str:
        """Where the read-only units read ("1,204 on host:5432/db, 31 on the primary; 12 waited
        for a replica to replay their visitor's write")."""
        places = ", ".join(
            f"{count:,} on {'the primary' if name == PRIMARY else name}" for name, count in self.reads.items()
        )
        return f"{places}; {self.waits:,} waited for a replica to replay their visitor's write"


def replica_name(url: str) -> str:
    """A replica's URL without its password: how logs and figures name it."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "local"
    return f"{host}:{parsed.port or 5432}/{parsed.database or ''}"


def _describe(error: BaseException) -> str:
    """The driver's error in one line (SQLAlchemy's wrapper adds the statement on more lines)."""
    cause = getattr(error, "orig", None) or error
    said = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {said[0]}" if said else type(cause).__name__
