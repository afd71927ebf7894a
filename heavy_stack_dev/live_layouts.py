"""Know which ReactPy layouts are being served, so hot reload can re-render them.

ReactPy 1.1 keeps no registry of its layouts. ``install()`` wraps ``Layout.__aenter__`` and
``__aexit__`` (a layout is live between the two) to remember each one with its event loop.
``rerender_all()`` then asks every live layout to render its root component again, exactly as a
``set_state`` on the root would: hooks keep their state, every component below runs its (possibly
new) code, and the page gets the patch over the websocket it already has.

Only hot reload installs this (``python -m heavy_stack --hot-reload``): the app factory never does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from weakref import WeakKeyDictionary

from reactpy.core.layout import Layout

logger = logging.getLogger(__name__)

_live: WeakKeyDictionary[Layout, asyncio.AbstractEventLoop] = WeakKeyDictionary()
_original_enter = Layout.__aenter__
_original_exit = Layout.__aexit__


async def _tracked_enter(self: Layout) -> Layout:
    entered = await _original_enter(self)
    _live[self] = asyncio.get_running_loop()
    return entered


async def _tracked_exit(self: Layout, *exc: object) -> None:
    _live.pop(self, None)
    await _original_exit(self, *exc)


def install() -> None:
    """Start tracking the layouts entered from now on (idempotent)."""
    Layout.__aenter__ = _tracked_enter  # type: ignore[method-assign]
    Layout.__aexit__ = _tracked_exit  # type: ignore[method-assign]


def uninstall() -> None:
    """Stop tracking (for tests); layouts already tracked are forgotten."""
    Layout.__aenter__ = _original_enter  # type: ignore[method-assign]
    Layout.__aexit__ = _original_exit  # type: ignore[method-assign]
    _live.clear()


def is_installed() -> bool:
    """Tell whether ``install()`` is in effect."""
    return Layout.__aenter__ is _tracked_enter


def live_count() -> int:
    """How many layouts are being served right now."""
    return len(_live)


def rerender_all() -> int:
    """Schedule a re-render of every live layout's root; returns how many were asked.

    Safe to call from any thread (file watchers run on their own): each layout is reached
    through its own event loop.
    """
    scheduled = 0
    for layout, loop in list(_live.items()):
        if loop.is_closed():
            continue
        loop.call_soon_threadsafe(_rerender_root, layout)
        scheduled += 1
    return scheduled


def _rerender_root(layout: Layout) -> None:
    # ReactPy's own path for a state change: the root's life-cycle hook schedules its render.
    states: dict[str, Any] | None = getattr(layout, "_model_states_by_life_cycle_state_id", None)
    root_id: str | None = getattr(layout, "_root_life_cycle_state_id", None)
    if states is None or root_id is None or root_id not in states:
        return  # the layout closed since it was scheduled
    states[root_id].life_cycle_state.hook.schedule_render()
