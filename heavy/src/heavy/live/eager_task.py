"""``start_eagerly``: a task whose coroutine runs its first step now, in the caller's turn.

``asyncio.create_task`` runs a coroutine's first step at the event loop's next turn. Under load
that turn waits for every other page's ready work, and an event handler that reads the database
then waits a second time for its answer: the first wait is pure queueing. Python 3.12's eager
tasks remove it; this is the same for 3.11 (tested on 3.11, the Python this project runs; later
versions keep the two asyncio functions it uses): the coroutine runs up to its first real wait
at once, as the task (``asyncio.current_task()`` is the task, its context is the task's), and
the task carries on from there. A coroutine that never waits is done
before the caller goes on (the task completes at the next turn, with its result).
"""

from __future__ import annotations

import asyncio
import contextvars

# asyncio's own bookkeeping of the running task, as Task.__step does it.
from asyncio.tasks import _enter_task, _leave_task
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

_NOT_STARTED = object()


def start_eagerly(
    coro: Coroutine[Any, Any, T], before_start: Callable[[asyncio.Task[T]], object] | None = None
) -> asyncio.Task[T]:
    """A task of ``coro`` whose first step has run already; ``before_start(task)`` is called
    before that step (to register the task where the coroutine will look for it)."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    rest = _Started(coro)
    task: asyncio.Task[T] = loop.create_task(rest, context=context)
    if before_start is not None:
        before_start(task)
    caller = asyncio.current_task(loop)
    if caller is not None:
        _leave_task(loop, caller)
    _enter_task(loop, task)
    try:
        context.run(rest.first_step)
    finally:
        _leave_task(loop, task)
        if caller is not None:
            _enter_task(loop, caller)
    return task


class _Started(Coroutine[Any, Any, Any]):
    """What the task runs: the coroutine from where its first step (run by ``start_eagerly``)
    left it. The task's first ``send`` hands it the future that step waits on (or the step's
    result or error); everything after goes to the coroutine itself."""

    __slots__ = ("_coro", "_outcome")

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._coro = coro
        # The first step's outcome until the task takes it: what the coroutine yielded (a
        # future, or None for a bare yield), or a StopIteration or an error it raised.
        self._outcome: Any = _NOT_STARTED

    def first_step(self) -> None:
        try:
            self._outcome = self._coro.send(None)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as ended:  # StopIteration (done), or the coroutine's own error
            self._outcome = ended

    def send(self, value: Any) -> Any:
        if self._outcome is _NOT_STARTED:
            return self._coro.send(value)
        return self._first_send()

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        try:
            if self._outcome is _NOT_STARTED:
                return self._coro.throw(typ if val is None else val)
            return self._first_throw(typ if val is None else val)
        finally:
            # The error passes through this frame, so its traceback holds the frame: the frame
            # must not hold the error (a cycle that would keep the coroutine's locals, a page's
            # objects, for the cycle collector).
            typ = val = None  # (asyncio gives the error alone, never a traceback)

    def _first_send(self) -> Any:
        outcome = self._take_outcome()
        try:
            if isinstance(outcome, BaseException):
                raise outcome  # done (StopIteration) or failed in the first step
            if outcome is None or outcome.done():
                # A bare yield (run again at the next turn: this is it), or a wait that is
                # over already: go on now rather than one turn later.
                return self._coro.send(None)
            return outcome  # the future the first step waits on: the task now waits on it
        finally:
            outcome = None  # as in throw

    def _first_throw(self, error: BaseException) -> Any:
        outcome = self._take_outcome()
        try:
            if isinstance(outcome, BaseException):
                raise outcome  # done already (a cancel that comes after cannot undo that), or failed
            if isinstance(outcome, asyncio.Future) and isinstance(error, asyncio.CancelledError):
                # Cancelled before the task's first turn, so before the task waited on what the
                # first step waits on: cancelled as Task.cancel cancels what a task waits on,
                # and the coroutine hears it there (cleaning up in the loop, as a task's would).
                outcome.cancel()
            return self._coro.throw(error)
        finally:
            del outcome, error  # as in throw

    def close(self) -> None:
        self._outcome = _NOT_STARTED
        self._coro.close()

    @property
    def __name__(self) -> str:  # what asyncio names the task's coroutine by, in its repr and logs
        return str(getattr(self._coro, "__qualname__", type(self._coro).__name__))

    def __await__(self) -> Generator[Any, None, Any]:
        raise TypeError("a started coroutine runs in its task only")

    def _take_outcome(self) -> Any:
        outcome, self._outcome = self._outcome, _NOT_STARTED
        return outcome
