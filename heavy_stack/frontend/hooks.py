"""The heavy wrappers around ReactPy's ``use_state``, ``use_effect``, ``event`` and ``use_context``.

An **async** function given to ``heavy_use_effect`` or ``heavy_event`` receives a
``HeavyContext`` first and runs in one database transaction, set as the current session:
committed when it returns, rolled back when it raises, closed either way. A **sync** function
gets no context and must not touch the database. Errors are logged with the component and
handler names and do not reach ReactPy (which would only log them again).

**Honest writes.** The page shows a write only after it committed: setters from
``heavy_use_state`` called inside an async heavy function are applied once the transaction has
committed, and dropped when it rolls back (see ``heavy_context``). We chose deferred setters
over "the handler returns what to show" because the handler code stays the plain ReactPy
shape, and the safe behaviour needs no discipline: ``reactpy.use_state`` is banned (ruff
``TID251``) in favour of ``heavy_use_state``.

**Failures reach the user.** When the transaction fails (the database is unavailable or slow
past its timeout, COMMIT is refused, or the handler raises), the wrapper puts a message in the
page's notice banner (``NoticeContext``, rendered by ``NoticeProvider`` as ``role="alert"``);
the next successful event clears it. Pages never report these failures themselves.

**First paint.** The HTML response of a page is rendered once on the server before any
websocket (``frontend/first_paint.py``). Inside that render (``rendering_first_paint()``) no
effect runs, async or sync: nothing is loaded, written or sent to the browser for a page that
may never connect; data loaded by effects shows its loading state until the live layout runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import EllipsisType, TracebackType
from typing import Any, TypeVar, cast, overload

from heavy import CommitFailedError, callable_name, is_async_callable, is_unavailable
from reactpy import use_context, use_ref
from reactpy import use_effect as _reactpy_use_effect  # noqa: TID251 - the one wrapped use
from reactpy import use_state as _reactpy_use_state  # noqa: TID251 - the one wrapped use
from reactpy.core._life_cycle_hook import current_hook
from reactpy.core.events import EventHandler
from reactpy.core.events import event as _reactpy_event  # noqa: TID251 - the one wrapped use
from reactpy.types import Context, State

from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.contexts import (
    AppServicesContext,
    CurrentVisitor,
    NoticeContext,
    ShowNotice,
    VisitorContext,
)
from heavy_stack.frontend.heavy_context import (
    HeavyContext,
    PendingUpdates,
    SignInRequiredError,
    defer_until_commit,
    open_heavy_context,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
Cleanup = Callable[[], None] | None
AsyncEffect = Callable[[HeavyContext], Awaitable[Cleanup]]
SyncEffect = Callable[[], Cleanup]
AsyncHandler = Callable[..., Awaitable[None]]  # (HeavyContext, *event_data)
SyncHandler = Callable[..., None]  # (*event_data)

UNAVAILABLE = "The database is unavailable; nothing was saved. Please try again in a moment."
UNAVAILABLE_WHILE_LOADING = (
    "The database is unavailable; part of this page could not load. Please reload in a moment."
)
REFUSED = "Your change could not be saved: the database refused it. Nothing was stored."
UNCONFIRMED = (
    "The database stopped answering while saving: your change may not have been stored. "
    "Please check before trying again."
)
FAILED = "Something went wrong; nothing was saved."


# True while the first paint of a page is rendered (per task: other connections render on).
_first_paint: ContextVar[bool] = ContextVar("heavy_first_paint", default=False)


@contextmanager
def rendering_first_paint() -> Iterator[None]:
    """Within this block, layouts render without effects: the first paint of a page."""
    token = _first_paint.set(True)
    try:
        yield
    finally:
        _first_paint.reset(token)


def is_first_paint() -> bool:
    """True while the first paint of a page is rendered (no effect runs then)."""
    return _first_paint.get()


class MissingAppServicesError(RuntimeError):
    """An async heavy function was used in a tree that has no ``AppServicesContext``."""


def heavy_use_context(context: Context[T]) -> T:
    """ReactPy's ``use_context``; the seam where a project can inject or check values."""
    return use_context(context)


@overload
def heavy_use_state(initial: Callable[[], T]) -> State[T]: ...


@overload
def heavy_use_state(initial: T) -> State[T]: ...


def heavy_use_state(initial: Any) -> State[Any]:
    """ReactPy's ``use_state``, with a setter that waits for the commit.

    Called inside an async heavy function, the setter's update is applied once that function's
    transaction has committed, and dropped if it rolls back; anywhere else it applies at once.
    The setter is the same object at every render, like ReactPy's.
    """
    value, dispatch = _reactpy_use_state(initial)
    setter = use_ref(cast(Callable[[Any], None] | None, None))
    if setter.current is None:

        def set_after_commit(new: Any) -> None:
            defer_until_commit(lambda: dispatch(new))

        setter.current = set_after_commit
    return State(value, setter.current)


def heavy_use_effect(
    function: AsyncEffect | SyncEffect,
    dependencies: Sequence[Any] | EllipsisType | None = ...,
) -> None:
    """Run ``function`` after render, like ``use_effect``.

    ``dependencies`` works as in ReactPy: ``...`` (default) reruns when the values the function
    closes over change, ``[]`` runs once, ``None`` runs after every render.
    """
    if _first_paint.get():
        # Every render of a first-paint layout takes this branch, so hook order stays stable.
        return
    if dependencies is ...:
        dependencies = _closure_values(function)
    caller = _Caller.here(function)
    if is_async_callable(function):
        async_function = cast(AsyncEffect, function)
        run = _Transaction(
            caller,
            _use_services(caller),
            heavy_use_context(VisitorContext),
            heavy_use_context(NoticeContext),
        )

        async def effect() -> Cleanup:
            return await run(async_function, unavailable=UNAVAILABLE_WHILE_LOADING, if_abandoned=_clean_up)

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
    if is_async_callable(function):
        run = _Transaction(
            caller,
            _use_services(caller),
            heavy_use_context(VisitorContext),
            heavy_use_context(NoticeContext),
        )

        async def handler(*data: Any) -> None:
            await run(lambda context: function(context, *data), unavailable=UNAVAILABLE, clears_notice=True)

    else:

        def handler(*data: Any) -> None:  # type: ignore[misc]
            with caller:
                function(*data)

    return _reactpy_event(handler, stop_propagation=stop_propagation, prevent_default=prevent_default)


# Heavy functions whose page went away before they ended; kept until they end (the loop
# holds tasks weakly). ``finish_abandoned_work`` waits for them when the server stops.
_abandoned: set[asyncio.Task[Any]] = set()


class _Transaction:
    """Runs an async heavy function in its transaction; tells the user when that fails.

    The function runs to its end in a task of its own, even when the page goes away meanwhile
    (a closed tab, a navigation that unmounts the component, a dropped websocket): ReactPy then
    cancels the handler or effect, and a transaction cancelled midway would leave its
    connection half-closed (a traceback from the pool) and a save the user clicked half-done.
    So a click on "Save" just before closing the tab still commits; what it would have shown is
    dropped, as there is no page left to show it on.
    """

    def __init__(
        self,
        caller: _Caller,
        services: AppServices,
        visitor: CurrentVisitor | None,
        notice: ShowNotice | None,
    ) -> None:
        self.caller = caller
        self.services = services
        self.visitor = visitor
        self.notice = notice

    async def __call__(
        self,
        function: Callable[[HeavyContext], Awaitable[T]],
        *,
        unavailable: str,
        clears_notice: bool = False,
        if_abandoned: Callable[[T | None], None] | None = None,
    ) -> T | None:
        """Run ``function``; ``None`` if it failed (logged, and shown to the user).

        ``clears_notice``: its commit also clears an earlier failure's notice.
        ``if_abandoned``: given what the function returns when it ends after its page went away.
        """
        updates = PendingUpdates()
        work = asyncio.ensure_future(self._run(function, updates, unavailable, clears_notice))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            updates.abandon()
            _abandoned.add(work)
            work.add_done_callback(_abandoned.discard)
            if if_abandoned is not None:
                work.add_done_callback(lambda done: done.cancelled() or if_abandoned(done.result()))
            raise

    async def _run(
        self,
        function: Callable[[HeavyContext], Awaitable[T]],
        updates: PendingUpdates,
        unavailable: str,
        clears_notice: bool,
    ) -> T | None:
        with self.caller:
            try:
                async with open_heavy_context(self.services, self.visitor, updates=updates) as context:
                    if clears_notice:  # in the same re-render as the handler's own updates
                        context.on_commit(lambda: self._show(None))
                    return await function(context)
            except SignInRequiredError:
                raise  # the visitor was signed out meanwhile: the page itself shows that
            except Exception as error:
                if not updates.abandoned:
                    self._show(failure_message(error, unavailable))
                raise
        return None

    def _show(self, text: str | None) -> None:
        if self.notice is not None:
            self.notice(text)


def _clean_up(cleanup: Cleanup) -> None:
    # An effect that ended after its component unmounted: undo what it set up at once.
    if cleanup is not None:
        cleanup()


async def finish_abandoned_work(within: float) -> None:
    """Wait up to ``within`` seconds for heavy functions whose pages went away (server stop)."""
    if _abandoned:
        await asyncio.wait(set(_abandoned), timeout=within)


def failure_message(error: Exception, unavailable: str = UNAVAILABLE) -> str:
    """What to tell the user when a heavy function's transaction failed with ``error``."""
    if isinstance(error, CommitFailedError):
        # Lost during COMMIT: the server may have committed; refused: it certainly did not.
        return UNCONFIRMED if is_unavailable(error) else REFUSED
    return unavailable if is_unavailable(error) else FAILED


class _Caller:
    """Names the component and function; as a context manager, logs what they raise."""

    def __init__(self, component: str, function: str) -> None:
        self.component = component
        self.function = function

    @classmethod
    def here(cls, function: Callable[..., Any]) -> _Caller:
        component = current_hook().component
        name = getattr(component, "type", type(component)).__qualname__
        return cls(name, callable_name(function))

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
        if error is not None and is_unavailable(error):  # an outage, not a bug: no traceback
            logger.warning("%s: the database is unavailable (%r)", self, error)
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
