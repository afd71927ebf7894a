"""Start each incoming event's handler as a plain asyncio task.

ReactPy 1.1's ``serve_layout`` receives events in ``_single_incoming_loop`` and starts every
one with ``anyio.TaskGroup.start_soon``: on asyncio that wraps the handler in anyio's own task
handle and names it, about a tenth of the server's CPU for a click ("Read again", py-spy). The
replacement starts ``layout.deliver(event)`` with ``asyncio.create_task`` and keeps the tasks it
started; when the loop ends (the connection closed, or the task group cancelled it), it cancels
those still running, as the task group would have. ``Layout.deliver`` logs what a handler
raises itself, so a delivery never fails the connection; anything else that escapes one is
logged here. Heavy handlers do not depend on this: their transactions finish in tasks of
their own (``heavy/hooks.py``). ``install()`` is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reactpy.core.serve
from anyio.abc import TaskGroup
from reactpy.core.serve import RecvCoroutine
from reactpy.core.types import LayoutEventMessage, LayoutType, LayoutUpdateMessage

logger = logging.getLogger(__name__)

_original_incoming_loop = reactpy.core.serve._single_incoming_loop


async def single_incoming_loop(
    task_group: TaskGroup,  # ReactPy passes its own; these tasks are plain
    layout: LayoutType[LayoutUpdateMessage, LayoutEventMessage],
    recv: RecvCoroutine,
) -> None:
    """``reactpy.core.serve._single_incoming_loop``, starting deliveries as asyncio tasks."""
    deliveries: set[asyncio.Task[None]] = set()
    try:
        while True:
            # Not awaited here: the next event is received while this one's handler runs.
            delivery = asyncio.create_task(layout.deliver(await recv()))
            deliveries.add(delivery)
            delivery.add_done_callback(_delivered)
            delivery.add_done_callback(deliveries.discard)
    finally:
        for delivery in deliveries:
            delivery.cancel()


def _delivered(delivery: asyncio.Task[None]) -> None:
    if not delivery.cancelled() and (error := delivery.exception()) is not None:
        logger.error("An event's delivery failed", exc_info=error)


def install() -> None:
    """Make ReactPy's serve loop start deliveries with ``asyncio.create_task`` (idempotent)."""
    reactpy.core.serve._single_incoming_loop = single_incoming_loop


def is_installed() -> bool:
    return reactpy.core.serve._single_incoming_loop is single_incoming_loop


def original() -> Any:
    """ReactPy's own incoming loop."""
    return _original_incoming_loop
