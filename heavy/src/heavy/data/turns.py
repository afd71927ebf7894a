"""Back pressure: pages' units of work take turns for the database pool instead of timing out in it.

A pool has a few connections; a burst of events larger than that used to wait in the pool's
checkout, each for up to its timeout, and then fail ("the connection pool is the queue"). Here
the wait happens before a unit begins, where it can be fair and can be told:

- ``capacity`` units run at once (the pool's own size: its overflow stays free for HTTP routes,
  jobs and the short sessions a unit opens of its own); while one of those turns is free a unit
  takes it at once, with no task, timer or lock of its own;
- when none is free, units wait in line per page, and pages take turns: a turn that frees goes
  to the page that has waited longest for one, to its oldest unit, and the page goes to the back
  of the line if it has more. A page's units begin in the order they came, and a burst of one
  page's events cannot starve the others. No unit is dropped: each runs once a turn frees;
- a page may have ``per_page`` units waiting; an event beyond that is refused
  (``TooManyWaitingError``: the page says so and nothing runs) rather than queued without end;
- a page whose oldest unit has waited ``busy_after`` seconds is told (``on_busy(True)``), and
  told again once its line is empty (``on_busy(False)``): the page shows "busy" rather than
  failing.

A unit must not wait for another unit while it holds its turn (the other may wait behind it).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Callable, Hashable

# A page whose unit waited this long is told it is busy.
BUSY_AFTER_SECONDS = 0.5
# Units one page may have waiting; its events beyond them are refused.
WAITING_PER_PAGE = 8

OnBusy = Callable[[bool], None]


class TooManyWaitingError(Exception):
    """A page already has as many units waiting as it may: this event is refused."""


class _Line:
    """One page's units waiting for a turn, oldest first."""

    __slots__ = ("busy", "context", "on_busy", "timer", "waiters")

    def __init__(self) -> None:
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.on_busy: OnBusy | None = None
        self.context: contextvars.Context | None = None  # the page's (its language) for on_busy
        self.timer: asyncio.TimerHandle | None = None
        self.busy = False


class Turns:
    """Turns at a pool of ``capacity`` connections, fair between pages (see the module)."""

    __slots__ = ("_free", "_lines", "_next", "busy_after", "capacity", "per_page")

    def __init__(
        self, capacity: int, *, per_page: int = WAITING_PER_PAGE, busy_after: float = BUSY_AFTER_SECONDS
    ) -> None:
        self.capacity = capacity
        self.per_page = per_page
        self.busy_after = busy_after
        self._free = capacity
        self._lines: dict[Hashable, _Line] = {}  # pages with units waiting
        self._next: deque[Hashable] = deque()  # those pages, in the order their turns come

    @property
    def waiting(self) -> int:
        """Units waiting for a turn now, in every page."""
        return sum(len(line.waiters) for line in self._lines.values())

    @property
    def running(self) -> int:
        """Units holding a turn now."""
        return self.capacity - self._free

    def take_now(self) -> bool:
        """Take a turn if one is free and nobody waits for one (then ``give_back`` it)."""
        if self._free > 0 and not self._next:
            self._free -= 1
            return True
        return False

    async def wait_for_turn(
        self, page: Hashable, on_busy: OnBusy | None = None, *, refusable: bool = False
    ) -> None:
        """Wait in ``page``'s line until a turn is handed to it (then ``give_back`` it).

        ``on_busy`` tells the page it waits (see the module); ``refusable``: raise
        ``TooManyWaitingError`` if the page has ``per_page`` units waiting already.
        """
        if self.take_now():
            return
        line = self._lines.get(page)
        if line is None:
            line = self._lines[page] = _Line()
            self._next.append(page)
        elif refusable and len(line.waiters) >= self.per_page:
            raise TooManyWaitingError(f"{len(line.waiters)} of this page's units wait already")
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        line.waiters.append(turn)
        if on_busy is not None:
            line.on_busy, line.context = on_busy, contextvars.copy_context()
            if line.timer is None and not line.busy:
                line.timer = loop.call_later(self.busy_after, self._tell_busy, line)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give_back()  # handed over just as this waiter was cancelled: pass it on
            else:
                self._leave_line(page, line, turn)
            raise

    def give_back(self) -> None:
        """A unit is done with its turn: hand it to the next page in line, or free it."""
        while self._next:
            page = self._next.popleft()
            line = self._lines[page]
            turn = line.waiters.popleft()
            if line.waiters:
                self._next.append(page)
            else:
                self._close_line(page, line)
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1

    def _leave_line(self, page: Hashable, line: _Line, turn: asyncio.Future[None]) -> None:
        if turn in line.waiters:
            line.waiters.remove(turn)
        if not line.waiters and self._lines.get(page) is line:
            self._next.remove(page)
            self._close_line(page, line)

    def _close_line(self, page: Hashable, line: _Line) -> None:
        del self._lines[page]
        if line.timer is not None:
            line.timer.cancel()
        if line.busy and line.on_busy is not None:
            line.on_busy(False)

    def _tell_busy(self, line: _Line) -> None:
        line.timer = None
        if line.waiters and line.on_busy is not None:
            line.busy = True
            # In the context of the page's unit: the notice is in the page's language.
            (line.context or contextvars.copy_context()).run(line.on_busy, True)
