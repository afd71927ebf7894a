"""``LazyEvent``: an ``asyncio.Event`` that allocates nothing for waiters until one waits.

``asyncio.Event`` (Python 3.11) makes its waiters' deque when it is created: about 600 bytes
(a deque's first block), kept as long as the event. A live page keeps several events that
nothing waits on for most of its life (its components' effect stops, the Sanic connection's
flow-control and frame-assembly events), so each open page paid for several such deques.
"""

from __future__ import annotations

import asyncio


class LazyEvent:
    """The part of ``asyncio.Event`` that its users here call (``is_set``, ``set``, ``clear``,
    ``wait``), with its waiters' futures in a list made at the first ``wait``."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        """Whether ``set`` was called (and ``clear`` not since)."""
        return self._set

    def set(self) -> None:
        """Wake every waiter; until ``clear``, any later ``wait`` returns at once."""
        if self._set:
            return
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        """Back to not set: the next ``wait`` waits for the next ``set``."""
        self._set = False

    async def wait(self) -> bool:
        """Return (True) once the event is set; a waiter cancelled alone leaves the others."""
        if self._set:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = [waiter]
        else:
            self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True
