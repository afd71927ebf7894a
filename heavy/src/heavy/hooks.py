"""The heavy hooks: ReactPy's ``use_state``, ``use_effect``, ``event`` and ``use_context``, for
pages whose handlers use a database.

**Async functions run in a unit of work.** An async function given to ``heavy_use_effect`` or
``heavy_event`` (an ``async def`` function or method, an object with an ``async def __call__``,
or a partial of either: ``heavy.is_async_callable``) receives a ``HeavyContext`` first and runs
in one unit of work, its db session set as the current ``db_session``: committed when it
returns, rolled back when it raises, closed either way. The context is the class the root
component provided (``heavy.provide_services``), and its ``begin`` runs first. A **sync**
function gets no context and must not touch the database. Errors are logged with the
component and function names and do not reach ReactPy (which would only log them again).

**Reads only.** ``reads_only=True`` (``heavy_event(show, reads_only=True)``,
``heavy_use_effect(load, [], reads_only=True)``) runs the function in a read-only unit
(``Database.transaction(read_only=True)``): no write transaction is opened and there is
nothing to commit, PostgreSQL refuses any write it tries (logged as such, and the page says
nothing was saved), and its reads can go where reads go. Without it a unit that happens to
only read still sends no BEGIN or COMMIT (its transaction begins on its first write), but it
may write: declare ``reads_only`` where a function must not.

**What the page shows.** A state setter applies at once, wherever it is called. A write is
shown only once it is stored by handing the setter to the unit of work:
``context.on_commit(set_saved, True)`` calls it after the commit, and never if the unit rolls
back (see ``heavy.heavy_context``). ``heavy_use_state`` works as ReactPy's ``use_state``, with
a lighter setter (``StateSetter``); ``reactpy.use_state`` and friends are banned (ruff
``TID251``) so that every page goes through these hooks.

**Failures reach the user.** When a unit of work fails (the database is unavailable or slow
past its timeout, COMMIT is refused, or the function raises), the hook puts a message in the
page's notice banner (``heavy.NoticeContext``); the next successful event clears it. Pages
never report these failures themselves. A page that goes away while its function runs does not
cancel it: the unit ends whole (``finish_abandoned_work`` waits for such units at shut-down),
and the visitor's next units in this process (``heavy.read_as`` names the visitor) begin once it
has ended, so that the page opened next (a reload right after "Save") shows what it wrote.

**First paint.** The HTML response of a page may be rendered once on the server before any
websocket. Inside that render (``rendering_first_paint()``) no effect runs, async or sync:
nothing is loaded, written or sent to the browser for a page that may never connect; data
loaded by effects shows its loading state until the live layout runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from types import EllipsisType, TracebackType
from typing import Any, Generic, TypeVar, cast, overload

import asyncpg
from heavy.callables import callable_name, is_async_callable
from heavy.contexts import NoticeContext, ProvidedServices, ServicesContext, ShowNotice
from heavy.data.db_connection import DB_TIMEOUT_SECONDS, CommitFailedError, is_unavailable
from heavy.data.replicas import ReplicaUnavailableError, current_read_scope, reading_at_least
from heavy.data.turns import TooManyWaitingError
from heavy.events import Declared, Takes, takes_of
from heavy.heavy_context import HeavyContext, PendingUpdates, SignInRequiredError, open_heavy_context
from heavy.i18n import N_, gettext
from heavy.live.eager_task import start_eagerly
from heavy.live.hooks import current_hook
from heavy.live.layout import Handler, LiveLayout, element_handler
from heavy.live.presence import PAGES, current_presence
from heavy.live.pubsub import TopicMessage, current_pubsub
from heavy.live.serve import current_page, run_to_end_here
from reactpy import use_context, use_ref
from reactpy import use_effect as _reactpy_use_effect  # noqa: TID251 - the one wrapped use
from reactpy.core._life_cycle_hook import LifeCycleHook
from reactpy.core.hooks import strictly_equal
from reactpy.types import Context, State

logger = logging.getLogger(__name__)

T = TypeVar("T")
Cleanup = Callable[[], None] | None
AsyncEffect = Callable[[Any], Awaitable[Cleanup]]  # (the context) -> cleanup
SyncEffect = Callable[[], Cleanup]
AsyncHandler = Callable[..., Awaitable[None]]  # (the context, *event_data)
SyncHandler = Callable[..., None]  # (*event_data)

# In English; shown in the visitor's language (heavy's catalogue, heavy/locales/).
UNAVAILABLE = N_("The database is unavailable; nothing was saved. Please try again in a moment.")
UNAVAILABLE_WHILE_LOADING = N_(
    "The database is unavailable; part of this page could not load. Please reload in a moment."
)
REFUSED = N_("Your change could not be saved: the database refused it. Nothing was stored.")
UNCONFIRMED = N_(
    "The database stopped answering while saving: your change may not have been stored. "
    "Please check before trying again."
)
FAILED = N_("Something went wrong; nothing was saved.")
BUSY = N_("Busy: your last action is waiting its turn and will run in a moment.")
TOO_MANY = N_("Too many actions at once: this one was not done. Please wait a moment and try again.")
# How often a read-only unit runs when its read replica fails under it (heavy.data.replicas).
READ_ATTEMPTS = 3


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


class MissingServicesError(RuntimeError):
    """An async heavy function was used in a tree whose root provides no services."""


def heavy_use_context(context: Context[T]) -> T:
    """ReactPy's ``use_context``; the seam where a project can inject or check values."""
    # ReactPy's lookup, with heavy's faster current_hook: a page reads contexts in most components.
    provider = current_hook().get_context_provider(context)
    if provider is None:
        return use_context(context)  # the context's default, with ReactPy's checks
    return provider.value


@overload
def heavy_use_state(initial: Callable[[], T]) -> State[T]: ...


@overload
def heavy_use_state(initial: T) -> State[T]: ...


def heavy_use_state(initial: Any) -> State[Any]:
    """ReactPy's ``use_state``: its setter applies at once, wherever it is called.

    To show a write only once it is stored, hand the setter to the unit of work:
    ``context.on_commit(set_value, new)``. The setter is a ``StateSetter``: the same object on
    every render, called as ReactPy's (a value, or a function of the current value).
    """
    hook = current_hook()
    setter: StateSetter[Any] = hook.use_state(partial(StateSetter, initial, hook))
    return State(setter.value, setter)


class StateSetter(Generic[T]):
    """A state's setter, which also holds its value (``heavy_use_state``).

    ReactPy's ``use_state`` keeps the value in an object of its own and makes the setter a
    closure over that object and the hook: a function and two cells, about 280 bytes for each
    state of each open page. One object with two slots does both here. Setting a value equal
    to the current one (ReactPy's ``strictly_equal``) renders nothing.
    """

    __slots__ = ("hook", "value")

    def __init__(self, initial: T | Callable[[], T], hook: LifeCycleHook) -> None:
        self.value: T = initial() if callable(initial) else initial
        self.hook = hook

    def __call__(self, new: T | Callable[[T], T]) -> None:
        """Set the value (``new``, or ``new(current value)``) and render its component again."""
        value = new(self.value) if callable(new) else new
        if not strictly_equal(value, self.value):
            self.value = value
            self.hook.schedule_render()


def heavy_use_effect(
    function: AsyncEffect | SyncEffect,
    dependencies: Sequence[Any] | EllipsisType | None = ...,
    *,
    reads_only: bool = False,
) -> None:
    """Run ``function`` after render, like ``use_effect``; an async one in a unit of work.

    ``dependencies`` works as in ReactPy: ``...`` (default) reruns when the values the function
    closes over change, ``[]`` runs once, ``None`` runs after every render. ``reads_only``: the
    unit is read-only (see the module docstring).
    """
    if _first_paint.get():
        # Every render of a first-paint layout takes this branch, so hook order stays stable.
        return
    if dependencies is ...:
        dependencies = _closure_values(function)
    caller = _Caller.here(function)
    if is_async_callable(function):
        async_function = cast(AsyncEffect, function)
        run = _UnitOfWork(caller, _use_services(caller), heavy_use_context(NoticeContext), reads_only)

        async def effect() -> Cleanup:
            work = run(async_function, unavailable=UNAVAILABLE_WHILE_LOADING, if_abandoned=_clean_up)
            if LiveLayout.observer is not None:  # telemetry: its statements under a span of its own
                return await LiveLayout.observer.effect(caller.component, caller.function, work)
            return await work

        def start() -> _EffectRun:
            return _EffectRun(effect())

        _reactpy_use_effect(start, dependencies)
    else:
        sync_function = cast(SyncEffect, function)

        def sync_effect() -> Cleanup:
            with caller:
                return sync_function()
            return None

        _reactpy_use_effect(sync_effect, dependencies)


class _EffectRun:
    """An async effect's run, as its ``use_effect`` clean-up: its task while it runs, and once
    it has ended only the clean-up it returned.

    Given an async function, ReactPy's ``use_effect`` keeps its task, long done, in the
    clean-up's closure for as long as the component is mounted (the task and its coroutine:
    about 0.5 KiB an effect of each open page). Called while the task runs (the component goes,
    or the effect runs again), the task is cancelled: the unit of work still ends whole, and
    undoes what it set up then (``_clean_up``)."""

    __slots__ = ("cleanup", "task")

    def __init__(self, work: Coroutine[Any, Any, Cleanup]) -> None:
        self.cleanup: Cleanup = None
        task = start_eagerly(work)  # its unit asks for the database now, not a turn later
        self.task: asyncio.Task[Cleanup] | None = task
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[Cleanup]) -> None:
        self.task = None
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            self.cleanup = task.result()
        else:  # the unit logs what the function raises: this is anything else
            logger.error("An effect failed", exc_info=error)

    def __call__(self) -> None:
        task = self.task
        if task is not None:
            task.cancel()
            return
        cleanup, self.cleanup = self.cleanup, None
        if cleanup is not None:
            cleanup()


def heavy_event(
    function: AsyncHandler | SyncHandler,
    *,
    stop_propagation: bool = False,
    prevent_default: bool = False,
    reads_only: bool = False,
) -> Handler:
    """An event handler for an element's attributes, like ReactPy's ``event``; an async one gets
    a ``HeavyContext`` and runs in a unit of work (read-only with ``reads_only``). Without
    either flag it is a plain callable (``heavy.element_handler`` says why).

    This is where what the client sent enters the server. ``function`` declares what it takes
    by its event parameter's annotation (``heavy.Click``, ``Submit``, ``Change``, ``KeyPress``,
    ``Location``; no event parameter: nothing of the event), after the context if it is async;
    the live layout checks the client's data against that before calling it, so ``function``
    gets only an event of its type (see ``heavy.events``). An undeclared event parameter is a
    ``heavy.EventDeclarationError`` here, when the page renders.
    """
    caller = _Caller.here(function)
    handler: Callable[..., Any]
    if is_async_callable(function):
        run = _UnitOfWork(caller, _use_services(caller), heavy_use_context(NoticeContext), reads_only)
        # A bound method of an async def: ReactPy's wrapper awaits it.
        handler = _AsyncHandler(
            cast(AsyncHandler, function), _declared(takes_of(function, leading=1), caller), run
        ).call
    else:
        handler = _SyncHandler(cast(SyncHandler, function), _declared(takes_of(function), caller))
    return element_handler(handler, stop_propagation=stop_propagation, prevent_default=prevent_default)


class _SyncHandler:
    """A sync ``heavy_event`` handler: ``function`` called with what the event's type read,
    what it raises logged (``_Caller``). ``declared`` is read by the live layout.

    An object with slots, not a closure given a ``declared`` attribute: the closure, its cells
    and its attribute dict cost every handler of every open page about 450 bytes."""

    __slots__ = ("declared", "function")

    def __init__(self, function: SyncHandler, declared: Declared) -> None:
        self.function = function
        self.declared = declared

    def __call__(self, *event: Any) -> None:
        with cast(_Caller, self.declared.name):
            self.function(*event)


class _AsyncHandler:
    """An async ``heavy_event`` handler (``call``): ``function`` in a unit of work (``run``)."""

    __slots__ = ("declared", "function", "run")

    def __init__(self, function: AsyncHandler, declared: Declared, run: _UnitOfWork) -> None:
        self.function = function
        self.declared = declared
        self.run = run

    async def call(self, *event: Any) -> None:
        """Run the function with what the event's type read (an event of its type, or nothing)."""
        function = self.function
        await self.run(
            lambda context: function(context, *event),
            unavailable=UNAVAILABLE,
            clears_notice=True,
            refusable=True,
        )


def heavy_use_topic(
    topic: str | None,
    on_message: Callable[[TopicMessage], None] | Callable[[Any, TopicMessage], Awaitable[None]],
    *,
    reads_only: bool = False,
) -> None:
    """Follow ``topic`` (``heavy.publish``): ``on_message(message)`` gets each message published
    on it, in every process, while the component is mounted; ``None`` follows nothing.

    A sync ``on_message`` sets state; an async one gets a ``HeavyContext`` first and runs in a
    unit of work (``reads_only`` as for ``heavy_use_effect``), e.g. to read again what changed.
    Messages come one at a time, in order. ``message.resync`` means some were missed (the page
    fell behind, or the link between processes was down): read again what the page shows.
    The subscription ends when the component unmounts or the page closes; the first paint
    subscribes to nothing. The latest render's ``on_message`` is the one called.
    """
    caller = _Caller.here(on_message)
    deliver: Callable[[TopicMessage], Awaitable[None] | None]
    if is_async_callable(on_message):
        run = _UnitOfWork(caller, _use_services(caller), heavy_use_context(NoticeContext), reads_only)
        handle = cast(Callable[[Any, TopicMessage], Awaitable[None]], on_message)

        replicas = run.provided.services.database.replicas

        async def deliver_in_unit(message: TopicMessage) -> None:
            # A message tells of a write: what it reads must show that write, on a replica too.
            with reading_at_least(0 if replicas is None else replicas.positions.latest):
                await run(lambda context: handle(context, message), unavailable=UNAVAILABLE_WHILE_LOADING)

        deliver = deliver_in_unit
    else:
        take = cast(Callable[[TopicMessage], None], on_message)

        def deliver_now(message: TopicMessage) -> None:
            with caller:
                take(message)

        deliver = deliver_now
    # The subscription outlives this render: it calls the latest render's function.
    latest = use_ref(deliver)
    latest.current = deliver
    if _first_paint.get():
        return

    def subscribe() -> Cleanup:
        if topic is None:
            return None
        return current_pubsub().subscribe(topic, lambda message: latest.current(message)).close

    _reactpy_use_effect(subscribe, [topic])


def heavy_use_presence(topic: str | None, *, join: bool = True) -> int:
    """How many live pages are on ``topic`` now, across every process; this page is counted on
    it while the component is mounted (not with ``join=False``: it only watches). The total
    follows within seconds as pages come and go (``heavy.live.presence``). ``None``: 0."""
    total, set_total = heavy_use_state(lambda: 0 if topic is None else current_presence().total(topic))
    if _first_paint.get():
        return total

    def follow() -> Cleanup:
        if topic is None:
            return None
        presence = current_presence()
        leave = presence.join(topic) if join else None
        unwatch = presence.watch(topic, set_total)
        set_total(presence.total(topic))

        def stop() -> None:
            unwatch()
            if leave is not None:
                leave()

        return stop

    _reactpy_use_effect(follow, [topic, join])
    return total if topic is not None else 0


def heavy_use_online_count() -> int:
    """How many live pages of the app are open now, in every process ("3 online")."""
    return heavy_use_presence(PAGES, join=False)


# Heavy functions whose page went away before they ended; kept until they end (the loop
# holds tasks weakly). ``finish_abandoned_work`` waits for them when the server stops.
_abandoned: set[asyncio.Task[Any]] = set()
# Of those, the events' units by the visitor they ran for (``heavy.read_as``): that visitor's
# next units wait for them (``_after_units_left_by_this_visitor``).
_left_by_visitor: dict[str, set[asyncio.Task[Any]]] = {}


class _UnitOfWork:
    """Runs an async heavy function in its unit of work; tells the user when that fails.

    The function runs to its end in a task of its own, even when the page goes away meanwhile
    (a closed tab, a navigation that unmounts the component, a dropped websocket): ReactPy then
    cancels the handler or effect, and a transaction cancelled midway would leave its
    connection half-closed (a traceback from the pool) and a save the user clicked half-done.
    So a click on "Save" just before closing the tab still commits; what it would have shown is
    dropped, as there is no page left to show it on. An event's unit runs in the event's own
    task instead, which its page then leaves running (``heavy.live.serve.run_to_end_here``).
    """

    __slots__ = ("caller", "notice", "provided", "reads_only")

    def __init__(
        self, caller: _Caller, provided: ProvidedServices, notice: ShowNotice | None, reads_only: bool
    ) -> None:
        self.caller = caller
        self.provided = provided
        self.notice = notice
        self.reads_only = reads_only

    async def __call__(
        self,
        function: Callable[[Any], Awaitable[T]],
        *,
        unavailable: str,
        clears_notice: bool = False,
        refusable: bool = False,
        if_abandoned: Callable[[T | None], None] | None = None,
    ) -> T | None:
        """Run ``function``; ``None`` if it failed (logged, and shown to the user).

        ``clears_notice``: its commit also clears an earlier failure's notice.
        ``refusable``: not run (and the page told) if its page has too many units waiting for
        the database already (an event; see ``heavy.data.turns``).
        ``if_abandoned``: given what the function returns when it ends after its page went away.
        """
        pending = PendingUpdates()
        ended = run_to_end_here(partial(_page_gone, pending))
        if ended is not None:  # an event's delivery: not cancelled when its page goes away
            try:
                return await self._take_turn(function, pending, unavailable, clears_notice, refusable)
            except asyncio.CancelledError:
                pending.abandon()  # cancelled all the same (the server stopping): nothing to show
                raise
            finally:
                ended()
        work = start_eagerly(self._take_turn(function, pending, unavailable, clears_notice, refusable))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            pending.abandon()
            _abandoned.add(work)
            work.add_done_callback(_abandoned.discard)
            if if_abandoned is not None:
                work.add_done_callback(lambda done: done.cancelled() or if_abandoned(done.result()))
            raise

    async def _take_turn(
        self,
        function: Callable[[HeavyContext[Any]], Awaitable[T]],
        pending: PendingUpdates,
        unavailable: str,
        clears_notice: bool,
        refusable: bool,
    ) -> T | None:
        if _left_by_visitor:
            await _after_units_left_by_this_visitor()
        # Back pressure: the unit begins once the pool has a turn for it, pages taking turns.
        turns, page = self.provided.services.database.turns, current_page()
        if not turns.take_now(page):
            try:
                await turns.wait_for_turn(page, self._busy, refusable=refusable)
            except TooManyWaitingError as refused:
                logger.info("%s was refused: %s", self.caller, refused)
                self._show(gettext(TOO_MANY))
                return None
        try:
            return await self._run(function, pending, unavailable, clears_notice)
        finally:
            turns.give_back(page)

    async def _run(
        self,
        function: Callable[[HeavyContext[Any]], Awaitable[T]],
        pending: PendingUpdates,
        unavailable: str,
        clears_notice: bool,
    ) -> T | None:
        with self.caller:
            for attempt in range(1, READ_ATTEMPTS + 1):
                try:
                    async with open_heavy_context(
                        self.provided.services,
                        self.provided.context,
                        reads_only=self.reads_only,
                        pending=pending,
                    ) as context:
                        if clears_notice:  # in the same re-render as the function's own updates
                            context.on_commit(self._show, None)
                        return await function(context)
                except SignInRequiredError:
                    raise  # the visitor was signed out meanwhile: the page itself shows that
                except ReplicaUnavailableError:
                    # Its replica failed and is left out now: a unit that only reads runs again
                    # elsewhere (another replica, or the primary), and the visitor sees nothing.
                    if pending.abandoned:
                        return None  # its page is gone: nobody waits for what it reads
                    if attempt < READ_ATTEMPTS:
                        pending.reopen()
                        continue
                    self._show(gettext(unavailable))
                    raise
                except Exception as error:
                    if not pending.abandoned:
                        self._show(failure_message(error, unavailable))
                    raise
        return None

    def _show(self, text: str | None) -> None:
        if self.notice is not None:
            self.notice(text)

    def _busy(self, busy: bool) -> None:
        self._show(gettext(BUSY) if busy else None)


def _page_gone(pending: PendingUpdates, delivery: asyncio.Task[Any]) -> None:
    # Its page went away while an event's unit runs in the event's own task: the unit ends
    # whole, showing nothing, and the server waits for it when it stops.
    pending.abandon()
    _abandoned.add(delivery)
    delivery.add_done_callback(_abandoned.discard)
    visitor = _visitor()
    if visitor is not None:
        _left_by_visitor.setdefault(visitor, set()).add(delivery)
        delivery.add_done_callback(partial(_forget_left, visitor))


def _visitor() -> str | None:
    scope = current_read_scope()
    return None if scope is None else scope.key


def _forget_left(visitor: str, unit: asyncio.Task[Any]) -> None:
    left = _left_by_visitor.get(visitor)
    if left is not None:
        left.discard(unit)
        if not left:
            del _left_by_visitor[visitor]


async def _after_units_left_by_this_visitor() -> None:
    # A save sent just before its tab closed is still running when the visitor's next page
    # (a reload, the same page in a new tab) reads: that read waits for it, or it would show
    # what was there before the save. Within this process (across instances the next page may
    # read on another one first); never longer than a unit's statements may take.
    visitor = _visitor()
    left = None if visitor is None else _left_by_visitor.get(visitor)
    others = None if left is None else left - {asyncio.current_task()}
    if others:
        await asyncio.wait(others, timeout=DB_TIMEOUT_SECONDS)


def _clean_up(cleanup: Cleanup) -> None:
    # An effect that ended after its component unmounted: undo what it set up at once.
    if cleanup is not None:
        cleanup()


async def finish_abandoned_work(within: float) -> None:
    """Wait up to ``within`` seconds for heavy functions whose pages went away (server stop)."""
    if _abandoned:
        await asyncio.wait(set(_abandoned), timeout=within)


def failure_message(error: Exception, unavailable: str = UNAVAILABLE) -> str:
    """What to tell the user when a heavy function's unit of work failed with ``error``, in the
    current language."""
    if isinstance(error, CommitFailedError):
        # Lost during COMMIT: the server may have committed; refused: it certainly did not.
        return gettext(UNCONFIRMED if is_unavailable(error) else REFUSED)
    return gettext(unavailable if is_unavailable(error) else FAILED)


def wrote_in_a_read_only_unit(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is PostgreSQL refusing a write in a read-only unit."""
    current: BaseException | None = error
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, asyncpg.ReadOnlySQLTransactionError):
            return True
        current = current.__cause__ or current.__context__
    return False


class _Caller:
    """Names the component and function; as a context manager, logs what they raise.

    One per component and function name in the process (``here``), shared by every page's
    handlers and effects: it holds nothing of a page, and a new one for each handler of each
    open page was about 60 bytes more each."""

    __slots__ = ("component", "function")

    def __init__(self, component: str, function: str) -> None:
        self.component = component
        self.function = function

    @classmethod
    def here(cls, function: Callable[..., Any]) -> _Caller:
        """The caller of ``function`` in the component being rendered."""
        component = current_hook().component
        names = (getattr(component, "type", type(component)).__qualname__, callable_name(function))
        caller = _callers.get(names)
        if caller is None:
            caller = _callers[names] = cls(*names)
        return caller

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: TracebackType | None
    ) -> bool:
        """Log an exception and swallow it; let cancellation (unmount, disconnect) through."""
        if kind is None or error is None or not issubclass(kind, Exception):
            return False
        if issubclass(kind, SignInRequiredError):  # expected: the session ended meanwhile
            logger.info("%s ran without a signed-in user: %s", self, error)
            return True
        if is_unavailable(error):  # an outage, not a bug: no traceback
            logger.warning("%s: the database is unavailable (%r)", self, error)
            return True
        if wrote_in_a_read_only_unit(error):
            logger.error(
                "%s is reads_only but tried to write; nothing was stored. Declare it without "
                "reads_only if it writes: %s",
                self,
                error,
            )
            return True
        logger.exception("Error in %s of component %s", self.function, self.component, exc_info=error)
        return True

    def __str__(self) -> str:
        return f"{self.function} in {self.component}"


# Names come from the code (qualified names), not from what pages hold or send: both stay as
# small as the app's number of handlers.
_callers: dict[tuple[str, str], _Caller] = {}
_declarations: dict[tuple[_Caller, Takes], Declared] = {}


def _declared(takes: Takes, caller: _Caller) -> Declared:
    """What the layout knows of a handler of ``caller`` taking ``takes``: one, shared, for each."""
    key = (caller, takes)
    declared = _declarations.get(key)
    if declared is None:
        declared = _declarations[key] = Declared(takes, caller)
    return declared


def _use_services(caller: _Caller) -> ProvidedServices:
    provided = heavy_use_context(ServicesContext)
    if provided is None:
        raise MissingServicesError(
            f"{caller} is async and needs the database, but no services are provided above "
            "this component. Call heavy.provide_services(services, context=...) in the root "
            "component, or mount the component under one that does (as the page test fixtures do)."
        )
    return provided


def _closure_values(function: Callable[..., Any]) -> list[Any]:
    # The values a function closes over: ReactPy's own default for effect dependencies.
    return [cell.cell_contents for cell in getattr(function, "__closure__", None) or ()]
