"""``UnitSession``: the session of a unit of work, whose rows read by key wait to be attached.

A click's unit of work most often reads one row by its key and ends: no other statement, no
write. Through the ORM that row is attached to the session (its identity map, its attach
events), and the session is committed and closed at the end of the unit, about 100 µs of CPU of
a click for a session nobody else used (``docs/benchmarks.md``). So the first read by key of a
session nothing has used yet (``KeyRead``) hands back the row detached, with its identity (as
every row of a unit is once the unit has closed), and the session keeps it aside. The first use
of the session, whatever it is (a query, ``add``, ``flush``, ``commit``, ``identity_map``...:
every method of ``AsyncSession`` goes through its ``sync_session``), attaches the rows kept aside
first: they become persistent without a SELECT, and a change made to one before that is
flushed as an UPDATE, as if it had been attached all along. A unit that used nothing else ends
without commit or close (it holds no connection and has nothing to flush), unless one of its
rows was changed: then it is attached and committed as usual.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession


class UnitSession(AsyncSession):
    """An ``AsyncSession`` that can keep rows read past it aside until it is first used."""

    def __init__(self, bind: Any = None, **kwargs: Any) -> None:
        self._heavy_used = False
        self._heavy_kept: list[Any] = []
        self._heavy_sync: Session | None = None
        self._heavy_sync_arguments: dict[str, Any] = {}
        session_class = kwargs.pop("sync_session_class", None) or type(self).sync_session_class
        # The Session beneath is built on first use (about 9 µs a unit that only reads by key
        # saves): AsyncSession's constructor hands its arguments to this stand-in instead.
        super().__init__(bind, sync_session_class=self._build_later, **kwargs)  # type: ignore[arg-type]
        self.sync_session_class = session_class
        # The engine of every statement (its Session's ``get_bind`` asks nothing else), if known.
        plain = not kwargs.get("binds") and session_class.get_bind is Session.get_bind
        self.unused_bind: Engine | None = (
            bind.sync_engine if plain and isinstance(bind, AsyncEngine) else None
        )

    def _build_later(self, **arguments: Any) -> None:
        self._heavy_sync_arguments = arguments

    # AsyncSession reaches its Session through these two attributes (set once, in its __init__).
    @property  # type: ignore[override]
    def sync_session(self) -> Session:
        return self._heavy_sync if self._heavy_used and self._heavy_sync is not None else self._use()

    @sync_session.setter
    def sync_session(self, session: Session | None) -> None:
        self._heavy_sync = session

    @property
    def _proxied(self) -> Session:
        return self._heavy_sync if self._heavy_used and self._heavy_sync is not None else self._use()

    @_proxied.setter
    def _proxied(self, session: Session | None) -> None:
        self._heavy_sync = session

    def _use(self) -> Session:
        self._heavy_used = True
        sync = self._heavy_sync
        if sync is None:
            sync = self._heavy_sync = self._assign_proxied(
                self.sync_session_class(**self._heavy_sync_arguments)
            )
        kept, self._heavy_kept = self._heavy_kept, []
        for row in kept:
            sync.add(row)  # detached with its identity: persistent, no SELECT
        return sync

    # Asking is not using: a session nothing has used has begun nothing (and attaching its kept
    # rows to answer would begin a transaction that nobody ends).
    def in_transaction(self) -> bool:
        return self._heavy_used and super().in_transaction()

    def in_nested_transaction(self) -> bool:
        return self._heavy_used and super().in_nested_transaction()

    @property
    def is_unused(self) -> bool:
        """Whether nothing has used the session yet (then its ``Session`` is not even built)."""
        return not self._heavy_used

    def keep_aside(self, row: Any) -> None:
        """Attach ``row`` (detached, with its identity) on the session's first use."""
        self._heavy_kept.append(row)

    @property
    def holds_rows(self) -> bool:
        """Whether the session holds rows, attached or kept aside (without using it)."""
        return bool(self._heavy_kept) if not self._heavy_used else bool(self.sync_session.identity_map)

    def has_nothing_to_end(self, *, commits: bool) -> bool:
        """Whether the unit can end without commit or close: nothing used the session and, if it
        ``commits``, no row kept aside was changed."""
        if self._heavy_used:
            return False
        return not commits or not any(inspect(row).modified for row in self._heavy_kept)


def holds_rows(session: AsyncSession) -> bool:
    """Whether ``session`` holds any row (without using a ``UnitSession``)."""
    if isinstance(session, UnitSession):
        return session.holds_rows
    return bool(session.identity_map)
