"""Make each component's life-cycle hook cheaper to hold and to render.

ReactPy 1.1's ``LifeCycleHook`` (one per mounted component):

- guards each render with an anyio ``Semaphore(1)``, whose ``acquire`` yields to the event
  loop on every render even when nobody else holds it, and which allocates a deque up front;
- creates an ``asyncio.Event`` after *every* render (``affect_layout_did_render``) and keeps it
  until the component unmounts, even when that render started no effect: a component that
  re-renders a thousand times holds a thousand events, and each event holds a deque.

The replacements keep the behaviour (one render at a time per hook; every effect started by
a render gets a stop event that is set at unmount) with an ``asyncio.Lock`` (no deque until
someone waits, no yield when free) and an event only for renders that started effects. They
cut the memory of an idle connection by about a quarter and a click's render by a few
per cent (see "Where the time goes" in docs/benchmarks.md). ``install()`` is idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import reactpy.core._life_cycle_hook
from reactpy.core._life_cycle_hook import LifeCycleHook

_original_init = LifeCycleHook.__init__
_original_layout_did_render = LifeCycleHook.affect_layout_did_render


def light_init(self: LifeCycleHook, schedule_render: Callable[[], None]) -> None:
    """``LifeCycleHook.__init__`` with an ``asyncio.Lock`` as the render guard."""
    self._context_providers = {}
    self._schedule_render_callback = schedule_render
    self._scheduled_render = False
    self._rendered_atleast_once = False
    self._current_state_index = 0
    self._state = ()
    self._effect_funcs = []
    self._effect_tasks = []
    self._effect_stops = []
    self._render_access = asyncio.Lock()  # type: ignore[assignment]  # acquire/release alike


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
    reactpy.core._life_cycle_hook.LifeCycleHook.__init__ = light_init  # type: ignore[method-assign]
    reactpy.core._life_cycle_hook.LifeCycleHook.affect_layout_did_render = layout_did_render  # type: ignore[method-assign]


def is_installed() -> bool:
    """Tell whether ``install()`` has run in this process."""
    return LifeCycleHook.affect_layout_did_render is layout_did_render


def originals() -> tuple[Any, Any]:
    """ReactPy's own ``__init__`` and ``affect_layout_did_render``."""
    return _original_init, _original_layout_did_render
