"""The pooled connection kept checked out between reads by key (``KeyRead``), one per pool.

A unit of work's first read by key needs a connection for one statement. Checking one out of
SQLAlchemy's pool and back in (its events, its reset, two greenlet hops) cost about a third of
such a unit's CPU. So after the read the connection is kept, checked out, for the next read
by key in this process; a read that finds it taken (another unit reading at that moment) checks
one out of the pool as before and gives it back. A kept connection counts as in use in its
pool's figures. It is closed if the pool was renewed meanwhile (a connection found lost) and
given back when the database closes (``Database.close``).
"""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool, PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

_held_for_key_reads: WeakKeyDictionary[Pool, PoolProxiedConnection] = WeakKeyDictionary()


def take_held_connection(pool: Pool) -> PoolProxiedConnection | None:
    """The connection ``pool`` keeps for reads by key, if free (then it is the caller's until
    ``hold_connection`` or ``lose_pooled_connection``), or None. One opened before the pool was
    last renewed (a connection found lost) is not handed out: the caller gets None and it is
    closed soon after."""
    held = _held_for_key_reads.pop(pool, None)
    if held is None:
        return None
    record = getattr(held, "_connection_record", None)
    if record is not None and held.is_valid and record.starttime >= pool._invalidate_time:
        return held
    closing = asyncio.ensure_future(greenlet_spawn(held.invalidate))
    _closing.add(closing)
    closing.add_done_callback(_closing.discard)
    return None


_closing: set[asyncio.Future[Any]] = set()  # kept connections being closed (weakly held by the loop)


async def hold_connection(pool: Pool, connection: PoolProxiedConnection) -> None:
    """Keep ``connection`` (checked out of ``pool``) for the next read by key, or give it back
    to the pool if one is kept already."""
    if pool not in _held_for_key_reads and connection.is_valid:
        _held_for_key_reads[pool] = connection
    else:
        await greenlet_spawn(connection.close)


async def release_held_connection(engine: AsyncEngine) -> None:
    """Give the connection kept for reads by key back to ``engine``'s pool (before disposing it)."""
    held = _held_for_key_reads.pop(engine.sync_engine.pool, None)
    if held is not None:
        await greenlet_spawn(held.close)
