"""Keep a component's life-cycle hook from growing with every render.

ReactPy 1.1's ``LifeCycleHook`` (one per mounted component) creates an ``asyncio.Event`` after
*every* render (``affect_layout_did_render``) and keeps it until the component unmounts, even
when that render started no effect: a component that re-renders a thousand times holds a
thousand events, each with its deque. The replacement makes a stop event only for a render that
started effects; every such effect still gets one, set at unmount.

Each hook also holds a render guard, an anyio ``Semaphore(1)``, whose waiter ``deque`` (about
600 bytes) is made up front: a tenth of an idle connection's memory, though a component's
renders never wait on each other in practice. Taking it also yields to the event loop, once
per component per render: a page of forty components was rendered in forty slices, each behind
every other connection's work (under load, a navigation's answer waited for all of them).
``RenderAccess`` takes its place with the same ``acquire`` and ``release``: it takes a free
guard without yielding and makes its waiter queue only when a second render does wait.
(Yielding once protected, by chance of timing, database work that a closed tab cancelled
midway; heavy functions now finish on their own when their page goes away, see
``heavy/hooks.py``.) ``install()`` is idempotent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import suppress
from typing import Any

import reactpy.core._life_cycle_hook
from reactpy.core._life_cycle_hook import LifeCycleHook

_original_layout_did_render = LifeCycleHook.affect_layout_did_render
# Typed loosely: the module imports anyio's Semaphore without re-exporting it.
_life_cycle_hook: Any = reactpy.core._life_cycle_hook
_original_semaphore = _life_cycle_hook.Semaphore


class RenderAccess:
    """anyio's asyncio ``Semaphore`` (the hook's render guard), with its waiter queue made lazily."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, initial_value: int = 1) -> None:
        self._value = initial_value
        self._waiters: deque[asyncio.Future[None]] | None = None

    async def acquire(self) -> None:
        """Take the guard, or wait for it, as ``anyio.Semaphore.acquire`` does."""
        if self._value > 0 and not self._waiters:
            self._value -= 1  # no yield to the loop: a render runs through (see the docstring)
            return
        if self._waiters is None:
            self._waiters = deque()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():
                with suppress(ValueError):
                    self._waiters.remove(waiter)
            else:
                self.release()
            raise

    def release(self) -> None:
        """Hand the guard to the first waiter that is still waiting, or free it."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.cancelled():
                waiter.set_result(None)
                return
        self._value += 1


async def layout_did_render(self: LifeCycleHook) -> None:
    """``LifeCycleHook.affect_layout_did_render``: a stop event only when effects start."""
    if not self._effect_funcs:
        return
    stop = asyncio.Event()
    self._effect_stops.append(stop)
    self._effect_tasks.extend(asyncio.create_task(effect(stop)) for effect in self._effect_funcs)
    self._effect_funcs.clear()


def install() -> None:
    """Put the lighter hook methods in place (idempotent)."""
    reactpy.core._life_cycle_hook.LifeCycleHook.affect_layout_did_render = layout_did_render  # type: ignore[method-assign]
    _life_cycle_hook.Semaphore = RenderAccess


def is_installed() -> bool:
    """Tell whether ``install()`` has run in this process."""
    return (
        LifeCycleHook.affect_layout_did_render is layout_did_render
        and _life_cycle_hook.Semaphore is RenderAccess
    )


def original() -> Any:
    """ReactPy's own ``affect_layout_did_render``."""
    return _original_layout_did_render


def original_semaphore() -> Any:
    """The render guard's class in ReactPy's own hooks (anyio's ``Semaphore``)."""
    return _original_semaphore
