"""Back pressure: pages' units of work take turns for the database pool instead of timing out in it.

A pool has a few connections; a burst of events larger than that used to wait in the pool's
checkout, each for up to its timeout, and then fail ("the connection pool is the queue"). Here
the wait happens before a unit begins, where it can be fair and can be told:

- ``capacity`` units run at once (the pool's own size: its overflow stays free for HTTP routes,
  jobs and the short sessions a unit opens of its own); while one of those turns is free a unit
  takes it at once, with no task, timer or lock of its own;
- a page runs one unit at a time, in the order they came: its events and effects never
  overlap, so what one shows cannot land after what a later one shows;
- when no turn is free (or the page's own unit runs), units wait in line per page, and pages
  take turns: a turn that frees goes to the page that has waited longest for one, to its oldest
  unit, and the page goes to the back of the line once that unit ends, if it has more. A burst
  of one page's events cannot starve the others. No unit is dropped: each runs in its turn;
- a page may have ``per_page`` units waiting; an event beyond that is refused
  (``TooManyWaitingError``: the page says so and nothing runs) rather than queued without end;
- a page whose oldest unit has waited ``busy_after`` seconds is told (``on_busy(True)``), and
  told again once its line is empty (``on_busy(False)``): the page shows "busy" rather than
  failing.

A unit must not wait for another unit while it holds its turn (the other may wait behind it),
nor for another event of its own page.
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
    """Turns at a pool of ``capacity`` connections, fair between pages, one unit at a time per
    page (see the module). ``None`` as a page: a unit of no page, which runs beside others."""

    __slots__ = ("_free", "_lines", "_next", "_running", "busy_after", "capacity", "per_page")

    def __init__(
        self, capacity: int, *, per_page: int = WAITING_PER_PAGE, busy_after: float = BUSY_AFTER_SECONDS
    ) -> None:
        self.capacity = capacity
        self.per_page = per_page
        self.busy_after = busy_after
        self._free = capacity
        self._lines: dict[Hashable, _Line] = {}  # pages with units waiting
        self._next: deque[Hashable] = deque()  # of those, the ones whose turn may come, in order
        self._running: set[Hashable] = set()  # pages with a unit holding a turn

    @property
    def waiting(self) -> int:
        """Units waiting for a turn now, in every page."""
        return sum(len(line.waiters) for line in self._lines.values())

    @property
    def running(self) -> int:
        """Units holding a turn now."""
        return self.capacity - self._free

    def take_now(self, page: Hashable = None) -> bool:
        """Take a turn for ``page`` if one is free, nobody waits for one and the page runs no
        other unit (then ``give_back`` it)."""
        if self._free > 0 and not self._next and page not in self._running:
            self._free -= 1
            if page is not None:
                self._running.add(page)
            return True
        return False

    async def wait_for_turn(
        self, page: Hashable, on_busy: OnBusy | None = None, *, refusable: bool = False
    ) -> None:
        """Wait in ``page``'s line until a turn is handed to it (then ``give_back`` it).

        ``on_busy`` tells the page it waits (see the module); ``refusable``: raise
        ``TooManyWaitingError`` if the page has ``per_page`` units waiting already.
        """
        if self.take_now(page):
            return
        line = self._lines.get(page)
        if line is None:
            line = self._lines[page] = _Line()
            if page not in self._running:  # else its turn comes once its running unit ends
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
                self.give_back(page)  # handed over just as this waiter was cancelled: pass it on
            else:
                self._leave_line(page, line, turn)
            raise

    def give_back(self, page: Hashable = None) -> None:
        """``page``'s unit is done with its turn: hand it to the next page in line, or free it."""
        if page is not None:
            self._running.discard(page)
            if page in self._lines:  # its next unit may have a turn now
                self._next.append(page)
        self._free += 1
        self._hand_on()

    def _hand_on(self) -> None:
        while self._free > 0 and self._next:
            page = self._next.popleft()
            line = self._lines[page]
            turn = line.waiters.popleft()
            if turn.done():  # cancelled meanwhile: the page's next unit, or the next page
                if line.waiters:
                    self._next.appendleft(page)
                else:
                    self._close_line(page, line)
                continue
            if not line.waiters:
                self._close_line(page, line)
            elif page is None:
                self._next.append(page)  # units of no page run beside each other
            self._free -= 1
            if page is not None:
                self._running.add(page)
            turn.set_result(None)

    def _leave_line(self, page: Hashable, line: _Line, turn: asyncio.Future[None]) -> None:
        if turn in line.waiters:
            line.waiters.remove(turn)
        if not line.waiters and self._lines.get(page) is line:
            if page in self._next:
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
