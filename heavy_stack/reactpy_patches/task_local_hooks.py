"""Keep ReactPy's hook stack per asyncio task instead of per thread.

ReactPy 1.1 tracks the component being rendered in a per-thread stack. Sanic serves every
websocket on one thread, so two layouts rendering at once interleave their pushes and pops on
the same stack, and both connections die with "Hook stack is in an invalid state". Giving each
asyncio task its own stack isolates the layouts; ``install()`` swaps the store in place and is
called by the app factory (and by anything else that renders layouts, such as tests).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from reactpy.core import _life_cycle_hook

_State = TypeVar("_State")


class TaskLocal(Generic[_State]):
    """A value per running asyncio task (per thread outside of any task).

    Drop-in for ``reactpy.core._thread_local.ThreadLocal``: the same ``get()`` interface.
    Keyed by the task object rather than a ``ContextVar`` so that child tasks, which copy
    their parent's context, still start with a stack of their own.
    """

    def __init__(self, default: Callable[[], _State]) -> None:
        self._default = default
        self._by_owner: WeakKeyDictionary[object, _State] = WeakKeyDictionary()

    def get(self) -> _State:
        owner = _current_owner()
        try:
            return self._by_owner[owner]
        except KeyError:
            state = self._by_owner[owner] = self._default()
            return state


def _current_owner() -> object:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running event loop in this thread
        task = None
    return task if task is not None else threading.current_thread()


def install() -> None:
    """Replace ReactPy's per-thread hook stack with a per-task one (idempotent)."""
    if not isinstance(_life_cycle_hook._HOOK_STATE, TaskLocal):
        _life_cycle_hook._HOOK_STATE = TaskLocal(list)  # type: ignore[assignment]


def is_installed() -> bool:
    """Tell whether ``install()`` has run in this process."""
    return isinstance(_life_cycle_hook._HOOK_STATE, TaskLocal)
