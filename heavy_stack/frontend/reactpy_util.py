"""The heavy wrappers around ReactPy's ``use_effect``, ``event`` and ``use_context``.

An **async** function given to ``heavy_use_effect`` or ``heavy_event`` receives a
``HeavyContext`` first and runs in one database transaction, set as the current session:
committed when it returns, rolled back when it raises, closed either way. A **sync** function
gets no context and must not touch the database. Errors are logged with the component and
handler names and do not reach ReactPy (which would only log them again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from types import EllipsisType, TracebackType
from typing import Any, TypeVar, cast

from reactpy import use_context
from reactpy import use_effect as _reactpy_use_effect  # noqa: TID251 - the one wrapped use
from reactpy.core._life_cycle_hook import current_hook
from reactpy.core.events import EventHandler
from reactpy.core.events import event as _reactpy_event  # noqa: TID251 - the one wrapped use
from reactpy.types import Context

from heavy_stack.frontend.app_context import AppServices, AppServicesContext, VisitorContext
from heavy_stack.frontend.heavy_context import HeavyContext, SignInRequiredError, open_heavy_context

logger = logging.getLogger(__name__)

T = TypeVar("T")
Cleanup = Callable[[], None] | None
AsyncEffect = Callable[[HeavyContext], Awaitable[Cleanup]]
SyncEffect = Callable[[], Cleanup]
AsyncHandler = Callable[..., Awaitable[None]]  # (HeavyContext, *event_data)
SyncHandler = Callable[..., None]  # (*event_data)


class MissingAppServicesError(RuntimeError):
    """An async heavy function was used in a tree that has no ``AppServicesContext``."""


def heavy_use_context(context: Context[T]) -> T:
    """ReactPy's ``use_context``; the seam where a project can inject or check values."""
    return use_context(context)


def heavy_use_effect(
    function: AsyncEffect | SyncEffect,
    dependencies: Sequence[Any] | EllipsisType | None = ...,
) -> None:
    """Run ``function`` after render, like ``use_effect``.

    ``dependencies`` works as in ReactPy: ``...`` (default) reruns when the values the function
    closes over change, ``[]`` runs once, ``None`` runs after every render.
    """
    if dependencies is ...:
        dependencies = _closure_values(function)
    caller = _Caller.here(function)
    if asyncio.iscoroutinefunction(function):
        async_function = cast(AsyncEffect, function)
        services, visitor = _use_services(caller), heavy_use_context(VisitorContext)

        async def effect() -> Cleanup:
            with caller:
                async with open_heavy_context(services, visitor) as context:
                    return await async_function(context)
            return None

        _reactpy_use_effect(effect, dependencies)
    else:
        sync_function = cast(SyncEffect, function)

        def sync_effect() -> Cleanup:
            with caller:
                return sync_function()
            return None

        _reactpy_use_effect(sync_effect, dependencies)


def heavy_event(
    function: AsyncHandler | SyncHandler,
    *,
    stop_propagation: bool = False,
    prevent_default: bool = False,
) -> EventHandler:
    """An event handler, like ReactPy's ``event``; async handlers get a ``HeavyContext``."""
    caller = _Caller.here(function)
    if asyncio.iscoroutinefunction(function):
        services, visitor = _use_services(caller), heavy_use_context(VisitorContext)

        async def handler(*data: Any) -> None:
            with caller:
                async with open_heavy_context(services, visitor) as context:
                    await function(context, *data)

    else:

        def handler(*data: Any) -> None:  # type: ignore[misc]
            with caller:
                function(*data)

    return _reactpy_event(handler, stop_propagation=stop_propagation, prevent_default=prevent_default)


class _Caller:
    """Names the component and function; as a context manager, logs what they raise."""

    def __init__(self, component: str, function: str) -> None:
        self.component = component
        self.function = function

    @classmethod
    def here(cls, function: Callable[..., Any]) -> _Caller:
        component = current_hook().component
        name = getattr(component, "type", type(component)).__qualname__
        return cls(name, getattr(function, "__qualname__", repr(function)))

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> bool:
        """Log an exception and swallow it; let cancellation (unmount, disconnect) through."""
        if kind is None or not issubclass(kind, Exception):
            return False
        if issubclass(kind, SignInRequiredError):  # expected: the session ended meanwhile
            logger.info("%s ran without a signed-in user: %s", self, error)
            return True
        logger.exception("Error in %s of component %s", self.function, self.component, exc_info=error)
        return True

    def __str__(self) -> str:
        return f"{self.function} in {self.component}"


def _use_services(caller: _Caller) -> AppServices:
    services = heavy_use_context(AppServicesContext)
    if services is None:
        raise MissingAppServicesError(
            f"{caller} is async and needs the database, but no AppServicesContext is above "
            "this component. Render pages under heavy_stack.frontend.app_root.AppRoot (the "
            "server does), or mount them with the page test fixture."
        )
    return services


def _closure_values(function: Callable[..., Any]) -> list[Any]:
    # The values a function closes over: ReactPy's own default for effect dependencies.
    return [cell.cell_contents for cell in getattr(function, "__closure__", None) or ()]
