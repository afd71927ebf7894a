"""The dispatch loop of one live page: updates out, events in, until either side stops.

ReactPy's ``serve_layout`` does the same with an anyio task group; this one differs in three
ways that the framework measured:

- the events are received in the task that serves the page, and the updates rendered and sent
  from one task beside it: no task group and no task per loop (about 1.5 KiB of each open
  page); either loop's end ends the other, and its error comes out alone. The sending loop's
  task starts eagerly (``heavy.live.eager_task``), so a new page's first render goes out in the
  turn its connection is served, not a turn later behind every other page's ready work (at 500
  replayed users the page's opening p50 19 → 8 ms, p95 77-90 → 36-48 ms);

- each incoming event's handler that is a coroutine starts as a plain asyncio task (anyio's
  ``start_soon`` wraps and names every task: about a tenth of a click's server CPU), started
  eagerly (``heavy.live.eager_task``): it runs up to its first wait as its event is read, since
  a task's first step would wait for the event loop's next turn, which under load waits for
  every other page's ready work (a handler that reads the database then waited twice). The
  tasks still running when the page goes away are cancelled, as the task group would have, but
  for units of work, which run to their end (``run_to_end_here``);
- a handler that is a plain function (not async) is called as its event is read, with no task;
  handlers begin in the order their events came;
- what a handler changed is rendered and sent by the task the handler ran in, once it ends
  (``_Sending.render_here``), while the sending loop waits for work: that loop's task would
  first wait for the event loop's next turn, an answer's last wait under load. While the
  sending loop renders or sends, renders wait for it and go out in order;
- the sending loop holds no update while it waits for the next render (ReactPy's kept the last
  one, for an idle page a large part of the page, for as long as it stayed open).

While ``LiveLayout.observer`` is set (``heavy.telemetry``), it renders and sends each update.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from functools import partial
from typing import Any

from heavy.live.eager_task import start_eagerly
from heavy.live.layout import LiveLayout
from reactpy.config import REACTPY_DEBUG_MODE
from reactpy.core.types import LayoutEventMessage, LayoutUpdateMessage

logger = logging.getLogger(__name__)

Send = Callable[[LayoutUpdateMessage], Awaitable[None]]
Receive = Callable[[], Awaitable[LayoutEventMessage]]


# The page being served in this task and the tasks it starts (its renders, effects and event
# handlers): a token of its own, not the layout, so that nothing it is handed to holds the page.
_current_page: ContextVar[object | None] = ContextVar("heavy_current_page", default=None)


def current_page() -> object | None:
    """A token of the live page whose render, effect or event handler runs now (None outside
    one): what its units of work wait in line as (``heavy.data.turns``)."""
    return _current_page.get()


# This page's event deliveries (set in its delivery loop's task, seen by the tasks it starts).
_deliveries: ContextVar[set[asyncio.Task[None]] | None] = ContextVar("heavy_deliveries", default=None)
# Deliveries that run their work to its end although their page goes away, each with what to
# call instead of cancelling it then (``run_to_end_here``).
_finishing: dict[asyncio.Task[Any], Callable[[asyncio.Task[Any]], None]] = {}


def run_to_end_here(on_page_gone: Callable[[asyncio.Task[Any]], None]) -> Callable[[], object] | None:
    """If this task is an event's delivery, it is not cancelled when its page goes away from
    now on: ``on_page_gone(the task)`` is called instead (once). Returns what to call once the work
    that must end whole has ended; None (nothing changed) in any other task. This saves the
    work a task and a shield of its own (``heavy.hooks``: about 9 µs per click)."""
    deliveries = _deliveries.get()
    task = asyncio.current_task()
    if deliveries is None or task is None or task not in deliveries or task in _finishing:
        return None
    _finishing[task] = on_page_gone
    return partial(_finishing.pop, task, None)


class PageClosed(BaseException):
    """Raised by ``send`` or ``receive`` when the page went away: serving ends quietly."""


async def serve_live_layout(layout: LiveLayout, send: Send, receive: Receive) -> None:
    """Serve ``layout`` until the page goes away (``PageClosed``) or ``send`` or ``receive``
    raises (both loops end then, and the layout closes)."""
    _current_page.set(object())
    try:
        async with layout:
            await _serve(layout, send, receive)
    except PageClosed:
        pass  # the page went away (tab closed, reload): routine, not an error


class _Sending:
    """The page's sending loop, in the one task a page has besides the one serving it (which
    receives the events itself): each loop's end ends the other. A task group (and a task for
    each loop) was about 1.5 KiB more for each open page."""

    __slots__ = ("failure", "layout", "over", "send", "serving", "task")

    def __init__(self, layout: LiveLayout, send: Send, serving: asyncio.Task[Any] | None) -> None:
        self.layout = layout
        self.send = send
        self.serving = serving
        self.task: asyncio.Task[None] | None = None
        self.over = False  # the serving task is past receiving: nothing to stop any more
        self.failure: Exception | None = None  # a send that failed outside the sending loop

    def ended(self) -> None:
        """The sending loop ended (its error is the task's): stop receiving."""
        if not self.over and self.serving is not None:
            self.over = True
            self.serving.cancel()

    async def render_here(self) -> None:
        """Render and send, in this task, what a handler that just ended made ready, if the
        sending loop is idle. Its task would first wait for the event loop's next turn, which
        under load waits for every other page's ready work: an answer's last wait."""
        if LiveLayout.observer is None and self.task is not None:
            try:
                await self.layout.render_ready(self.send)
            except Exception:
                _log_failed_send()
                raise

    async def render_after(self, call: Coroutine[Any, Any, None]) -> None:
        """An event's handler, in its own task, then ``render_here``; a failed send ends the
        page as the sending loop's would."""
        await call
        try:
            await self.render_here()
        except PageClosed:
            pass  # the page went away: its serving task sees the close
        except Exception as error:
            if not self.over and self.serving is not None:
                self.over, self.failure = True, error
                self.serving.cancel()


async def _serve(layout: LiveLayout, send: Send, receive: Receive) -> None:
    # No local name for this task: an error passing through this frame keeps its locals, and
    # the task would keep the error (a cycle, for the cycle collector only).
    sending = _Sending(layout, send, asyncio.current_task())
    sending.task = start_eagerly(_send_updates(layout, send, sending))
    try:
        await _deliver_events(layout, receive, sending)
    except asyncio.CancelledError:
        if not sending.over or _still_cancelled():
            raise  # cancelled from outside (the connection's handler, a test's page)
        raise _why_it_ended(sending) from None
    finally:
        sending.over = True
        sending.serving = None
        await _stop(sending)


def _still_cancelled() -> bool:
    # The sending loop's end cancelled this task once: is it cancelled from outside too?
    task = asyncio.current_task()
    return task is not None and task.uncancel() > 0


def _why_it_ended(sending: _Sending) -> BaseException:
    # Not kept in the frame the error passes through: its task holds the error, whose
    # traceback would hold that frame (a cycle, for the cycle collector only).
    task, sending.task = sending.task, None
    assert task is not None
    if sending.failure is not None:
        return sending.failure
    return asyncio.CancelledError() if task.cancelled() else task.exception() or PageClosed()


async def _stop(sending: _Sending) -> None:
    """Stop the sending loop and wait until it has ended (the layout closes after it)."""
    task, sending.task = sending.task, None
    if task is None:
        return
    task.cancel()
    cancelled = False
    while not task.done():
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:
            cancelled = True  # this page is cancelled while its loop ends: once it has
    if not task.cancelled():
        task.exception()  # taken: the loop logged a failed send, or it was the page's close
    if cancelled:
        raise asyncio.CancelledError


async def _send_updates(layout: LiveLayout, send: Send, sending: _Sending) -> None:
    try:
        while True:
            # No local name for the update: it is freed once sent, not when the next one comes.
            try:
                observer = LiveLayout.observer
                if observer is None:
                    await send(await layout.render())
                else:
                    await observer.update(layout, send)
            except Exception:
                _log_failed_send()
                raise
    finally:
        sending.ended()


def _log_failed_send() -> None:
    if not REACTPY_DEBUG_MODE.current:
        logger.error("Failed to send an update (REACTPY_DEBUG_MODE shows more)")


async def _deliver_events(layout: LiveLayout, receive: Receive, sending: _Sending) -> None:
    deliveries: set[asyncio.Task[None]] = set()
    _deliveries.set(deliveries)
    try:
        while True:
            # Checked here, before any task: data that fits no handler is dropped at once, and a
            # flood of it ends this loop (TooManyBadEventsError closes the connection). A plain
            # function's handler runs here; what it changed is rendered and sent here too.
            if not _start_delivery(layout.accept(await receive(), sync_now=True), deliveries, sending):
                await sending.render_here()
    finally:
        # An event the page sent just before it closed (a save, then the tab closed) was read
        # with the close: its handler has begun all the same (started eagerly), so a unit of
        # work in it runs to its end (run_to_end_here), and anything else is cancelled.
        _leave(deliveries)


def _start_delivery(
    call: Coroutine[Any, Any, None] | None, deliveries: set[asyncio.Task[None]], sending: _Sending
) -> bool:
    # Not awaited: the next event is received while this one's handler waits. Started here, not
    # in the loop's frame, whose locals would keep the last event's task and call (done) for as
    # long as the page stays idle. False: no task (the handler ran already, or none fits).
    if call is None:
        return False
    # Registered before its first step, where run_to_end_here looks for it.
    delivery = start_eagerly(sending.render_after(call), deliveries.add)
    delivery.add_done_callback(_delivered)
    delivery.add_done_callback(deliveries.discard)
    return True


def _leave(deliveries: set[asyncio.Task[None]]) -> None:
    # The page went away: its deliveries are cancelled, but for units that run to their end.
    for delivery in deliveries:
        on_page_gone = _finishing.pop(delivery, None)
        if on_page_gone is None:
            delivery.cancel()
        else:
            on_page_gone(delivery)


def _delivered(delivery: asyncio.Task[None]) -> None:
    # Layout.deliver logs what a handler raises; anything else that escapes is logged here.
    if not delivery.cancelled() and (error := delivery.exception()) is not None:
        logger.error("An event's delivery failed", exc_info=error)
