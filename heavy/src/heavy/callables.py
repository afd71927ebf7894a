"""What kind of callable a handler is: the hooks run async ones in a unit of work.

``asyncio.iscoroutinefunction`` is deprecated from Python 3.14, and it (like
``inspect.iscoroutinefunction``) says False for an object whose ``__call__`` is async and for a
``functools.partial`` of one, which the hooks would then run as sync functions that never await.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from inspect import CO_COROUTINE
from types import FunctionType
from typing import Any, TypeGuard


def _unwrapped(function: Any) -> Any:
    while isinstance(function, functools.partial):
        function = function.func
    return function


def is_async_callable(function: Any) -> TypeGuard[Callable[..., Awaitable[Any]]]:
    """Whether calling ``function`` returns a coroutine.

    True for an ``async def`` function or method (bound or not), an object whose ``__call__``
    is ``async def``, and a ``functools.partial`` of any of them.
    """
    if type(function) is FunctionType:  # most handlers, at every render: inspect's test, inline
        return bool(function.__code__.co_flags & CO_COROUTINE) or hasattr(function, "_is_coroutine_marker")
    inner = _unwrapped(function)
    if inspect.iscoroutinefunction(inner):
        return True
    if inspect.isroutine(inner) or inspect.isclass(inner):
        return False
    return inspect.iscoroutinefunction(getattr(inner, "__call__", None))  # noqa: B004 (the method, not callable())


def callable_name(function: Any) -> str:
    """The name a log line gives ``function``: its qualified name, through partials and objects."""
    function = _unwrapped(function)
    name = getattr(function, "__qualname__", None)
    return name if isinstance(name, str) else type(function).__qualname__
