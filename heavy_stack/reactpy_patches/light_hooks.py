"""Keep a component's life-cycle hook from growing with every render.

ReactPy 1.1's ``LifeCycleHook`` (one per mounted component) creates an ``asyncio.Event`` after
*every* render (``affect_layout_did_render``) and keeps it until the component unmounts, even
when that render started no effect: a component that re-renders a thousand times holds a
thousand events, each with its deque. The replacement makes a stop event only for a render that
started effects; every such effect still gets one, set at unmount.

The hook's anyio ``Semaphore`` render guard stays as it is: its ``acquire`` is a cancellation
checkpoint, and with a plain ``asyncio.Lock`` there a closed tab cancelled its handlers' database
cleanup midway (a traceback in the log; ``tests/server/test_websocket.py``).
``install()`` is idempotent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reactpy.core._life_cycle_hook
from reactpy.core._life_cycle_hook import LifeCycleHook

_original_layout_did_render = LifeCycleHook.affect_layout_did_render


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


def is_installed() -> bool:
    """Tell whether ``install()`` has run in this process."""
    return LifeCycleHook.affect_layout_did_render is layout_did_render


def original() -> Any:
    """ReactPy's own ``affect_layout_did_render``."""
    return _original_layout_did_render
