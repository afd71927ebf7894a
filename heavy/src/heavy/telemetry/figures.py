"""The figures of one server process: events, their handlers' time and database time, renders,
open pages, database pools and memory. One collector serves the development dashboard and
OpenTelemetry's metrics (``heavy.telemetry.otel`` reads the same counts).

Nothing is collected until something watches (``watch``): OpenTelemetry export at start-up,
or the first dashboard opened. Until then ``LiveLayout.observer`` is None and the live pages do
no work for it. Once watching, each event costs a few additions (``LiveFigures.event_done``)
and each database statement two clock reads (SQLAlchemy's cursor events, on every engine).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import time
from collections.abc import Awaitable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from heavy.data.db_connection import made_engines
from heavy.events import Declared
from heavy.hooks import is_first_paint
from heavy.live.layout import LiveLayout, SendUpdate
from heavy.live.observing import set_layout_observer
from heavy.stream.guard import open_pages
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")

# Seconds of per-second event counts kept (the dashboard's chart).
HISTORY_SECONDS = 60
# The events-per-second figure is the mean over this many whole seconds.
RATE_WINDOW_SECONDS = 5


@dataclass
class HandlerFigures:
    """What one handler's events took, since figures were first collected."""

    component: str
    handler: str
    events: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    db_seconds: float = 0.0
    statements: int = 0

    @property
    def mean_ms(self) -> float:
        return 1000 * self.seconds / self.events if self.events else 0.0

    @property
    def mean_db_ms(self) -> float:
        return 1000 * self.db_seconds / self.events if self.events else 0.0


@dataclass(frozen=True)
class PoolFigures:
    """One engine's connection pool now."""

    database: str
    size: int
    in_use: int
    overflow: int


class LiveFigures:
    """Counters updated per event and per render; the rest is read when asked for."""

    def __init__(self) -> None:
        self.started = time.time()
        self.events = 0
        self.renders = 0
        self.render_seconds = 0.0
        self.handlers: dict[tuple[str, str], HandlerFigures] = {}
        # Events per whole second: the count of second ``s`` is at ``s % HISTORY_SECONDS``.
        self._per_second = [0] * HISTORY_SECONDS
        self._stamps = [0] * HISTORY_SECONDS

    def event_done(self, component: str, handler: str, seconds: float, db: StatementClock) -> None:
        """Count one event of ``component``'s ``handler`` that took ``seconds``."""
        self.events += 1
        key = (component, handler)
        figures = self.handlers.get(key)
        if figures is None:
            figures = self.handlers[key] = HandlerFigures(component, handler)
        figures.events += 1
        figures.seconds += seconds
        figures.db_seconds += db.seconds
        figures.statements += db.statements
        if seconds > figures.slowest:
            figures.slowest = seconds
        second = int(time.monotonic())
        slot = second % HISTORY_SECONDS
        if self._stamps[slot] != second:
            self._stamps[slot], self._per_second[slot] = second, 0
        self._per_second[slot] += 1

    def render_done(self, seconds: float) -> None:
        self.renders += 1
        self.render_seconds += seconds

    def per_second(self, seconds: int = HISTORY_SECONDS) -> list[int]:
        """Events in each of the last ``seconds`` whole seconds, oldest first."""
        now = int(time.monotonic())
        counts = []
        for second in range(now - seconds, now):
            slot = second % HISTORY_SECONDS
            counts.append(self._per_second[slot] if self._stamps[slot] == second else 0)
        return counts

    def events_per_second(self) -> float:
        """The mean events per second over the last few whole seconds."""
        return sum(self.per_second(RATE_WINDOW_SECONDS)) / RATE_WINDOW_SECONDS

    def slowest_handlers(self, count: int = 10) -> list[HandlerFigures]:
        """The handlers with the longest mean time, slowest first."""
        return sorted(self.handlers.values(), key=lambda figures: figures.mean_ms, reverse=True)[:count]


def open_page_count() -> int:
    """The live pages this process serves now."""
    return len(open_pages)


def pools() -> list[PoolFigures]:
    """The connection pools of this process's engines, now."""
    found = []
    for engine in made_engines():
        pool: Any = engine.sync_engine.pool
        if all(hasattr(pool, name) for name in ("size", "checkedout", "overflow")):
            database = engine.url.database or engine.url.render_as_string(hide_password=True)
            found.append(PoolFigures(database, pool.size(), pool.checkedout(), max(pool.overflow(), 0)))
    return found


def rss_bytes() -> int:
    """This process's resident memory now (Linux), or its peak where that is all there is."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def instance_name() -> str:
    """Which server process this is: host and process id."""
    return f"{socket.gethostname()} pid {os.getpid()}"


# --- database time per event -------------------------------------------------------------


@dataclass
class StatementClock:
    """The database statements of one event and the time they took."""

    seconds: float = 0.0
    statements: int = 0


_statement_clock: ContextVar[StatementClock | None] = ContextVar("heavy_statement_clock", default=None)
_STARTED = "heavy_statement_started"


def _statement_starts(conn: Connection, *_args: Any) -> None:
    if _statement_clock.get() is not None:
        conn.info[_STARTED] = time.perf_counter()


def _statement_ends(conn: Connection, *_args: Any) -> None:
    clock = _statement_clock.get()
    started = conn.info.pop(_STARTED, None)
    if clock is not None and started is not None:
        clock.seconds += time.perf_counter() - started
        clock.statements += 1


def _time_statements() -> None:
    # On the Engine class: every engine, made before or after (idempotent).
    if not event.contains(Engine, "before_cursor_execute", _statement_starts):
        event.listen(Engine, "before_cursor_execute", _statement_starts)
        event.listen(Engine, "after_cursor_execute", _statement_ends)


@contextmanager
def timing_statements() -> Iterator[StatementClock]:
    """Within this block (and the tasks it starts), statements add to the clock given."""
    clock = StatementClock()
    token = _statement_clock.set(clock)
    try:
        yield clock
    finally:
        _statement_clock.reset(token)


# --- the observer ------------------------------------------------------------------------


def handler_names(declared: Declared) -> tuple[str, str]:
    """The component and the handler of an event, as the figures and spans name them."""
    name = declared.name
    component = getattr(name, "component", None)
    function = getattr(name, "function", None)
    if isinstance(component, str) and isinstance(function, str):
        return component, short_name(component, function)
    return "-", str(name).replace(".<locals>.", ".")


def short_name(component: str, function: str) -> str:
    """A handler's or effect's name as shown: "read_again", not "ReadAgain.<locals>.read_again"."""
    return function.replace(".<locals>.", ".").removeprefix(f"{component}.")


class FiguresObserver:
    """Watches live layouts for ``LiveFigures`` (``LiveLayout.observer``); the OpenTelemetry
    observer (``heavy.telemetry.otel``) adds spans and metrics to the same steps."""

    def __init__(self, figures: LiveFigures) -> None:
        self.figures = figures

    def event(self, declared: Declared, call: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        if is_first_paint():  # a page's HTML rendered for its HTTP response: not an event
            return call
        return self._timed(declared, call)

    async def _timed(self, declared: Declared, call: Coroutine[Any, Any, None]) -> None:
        component, handler = handler_names(declared)
        started = time.perf_counter()
        with timing_statements() as clock:
            try:
                await call
            finally:
                self.figures.event_done(component, handler, time.perf_counter() - started, clock)

    def cause(self) -> object | None:
        return None

    def effect(self, component: str, function: str, work: Awaitable[T]) -> Awaitable[T]:
        return work

    async def update(self, layout: LiveLayout, send: SendUpdate) -> None:
        state, _cause = await layout.next_render()
        started = time.perf_counter()
        update = await layout.render_component(state)
        self.figures.render_done(time.perf_counter() - started)
        await send(update)


@dataclass
class _Watching:
    figures: LiveFigures = field(default_factory=LiveFigures)
    observer: FiguresObserver | None = None


_watching = _Watching()


def live_figures() -> LiveFigures:
    """This process's figures (counted only while something watches: ``watch``)."""
    return _watching.figures


def watch(observer: FiguresObserver | None = None) -> LiveFigures:
    """Start collecting this process's figures (idempotent): with ``observer`` (OpenTelemetry's,
    which counts into the same figures) or with the plain one. The first observer set stays."""
    if _watching.observer is None:
        _time_statements()
        _watching.observer = observer or FiguresObserver(_watching.figures)
        set_layout_observer(_watching.observer)
    return _watching.figures


def stop_watching() -> None:
    """Stop collecting (a server stops; tests): the live pages go back to no work at all."""
    if _watching.observer is not None:
        set_layout_observer(None)
        _watching.observer = None
        event.remove(Engine, "before_cursor_execute", _statement_starts)
        event.remove(Engine, "after_cursor_execute", _statement_ends)


async def every_second() -> None:
    """Wait until the next whole second of the monotonic clock (the dashboard's tick)."""
    await asyncio.sleep(1 - time.monotonic() % 1)
