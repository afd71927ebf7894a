"""``LiveLayout``: ReactPy's ``Layout`` as the framework renders it, leaner and faster.

A layout turns a page's components into the VDOM its browser shows and keeps, between renders,
what it needs to render the next update. ReactPy 1.1's ``Layout`` keeps a ``_ModelState`` per
element and component of an open page, each holding the element's whole rendered model (sent
once, never read again), its patch path as a string, two dicts even when empty and a closure
per component: over a third of an idle connection's memory. ``LiveLayout`` renders the same
messages from lighter states:

- a model is built, returned up the render and sent, and not kept;
- a component's state keeps its place in the page (the indices from the root) as of its last
  render, and nothing else keeps a place or a parent: every render of a component renders the
  components below it too, so their places are current (ReactPy kept a keyed element's old
  path when it moved among its siblings, so a component inside it that re-rendered alone sent
  its update to the old place); a component's state is the same object for as long as the
  component is mounted, so a component that re-renders alone has nothing to put back in its
  parent (ReactPy's states each kept a weak reference to their parent: 80 bytes an element);
- an element with no handler and no component anywhere below it (static HTML, most of a page)
  keeps no state at all: its next render makes it anew, as for a new element, and there is
  nothing of it to unmount (a third of an idle landing page's states);
- an element's child states and handler targets exist only when there are some, as flat tuples
  (a dict's keys table is its largest part), and an element kept only for the components below
  it is kept as its children's states alone; a component's state is its hook too (one slotted
  object, which asks for its own render), and the render queue holds those states: a component
  has no id, and the layout no dict of them;
- handler targets are the layout's own small numbers, sent after a prefix unique to the layout
  (a per-process random part and a counter): ReactPy used ``uuid4()`` for targets and
  component ids, a read of the OS's random source each, about 5 % of the server's CPU;
- children are told apart by their exact type first (``str``, ``dict``, ReactPy's own component
  classes): ReactPy's ``isinstance`` checks on ``typing`` Protocols walk the Protocol on every
  call on Python 3.11; any other object still goes through the Protocol check;
- components are driven through ``LiveHook`` (``hooks.py``): a hook is current only during its
  component's own synchronous render, so layouts rendering at once never interleave;
- an update is rendered in one synchronous pass (ReactPy awaits at every element and
  component): the effects of the components it unmounts are stopped where the render meets
  them, and their tasks awaited once the model is built (``_Rendering``).

Everything else (reconciling children by key, reusing event targets, unmounting, the order of
hook calls, the log lines) follows ReactPy's layout step for step. Renders are serial (ReactPy's
default; its experimental ``REACTPY_ASYNC_RENDERING`` is not used): one update at a time.

Every layout being served is in ``LiveLayout.live`` (hot reload re-renders them).

**Watching.** ``LiveLayout.observer`` is None unless something watches the pages (the
framework's telemetry: OpenTelemetry export, the development dashboard; ``heavy.telemetry``).
Then each event's handler call, each render and each update sent go through it; otherwise the
cost is one ``is None`` test per event and per update.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from types import CodeType, FunctionType
from typing import Any, ClassVar, Protocol, TypeVar, cast
from weakref import WeakSet

from heavy.events import BadEvents, Declared, TooManyBadEventsError, declared_event, declared_of
from heavy.live.hooks import LiveHook, finish_effects
from heavy.live.static import is_static
from reactpy.config import REACTPY_CHECK_VDOM_SPEC, REACTPY_DEBUG_MODE
from reactpy.core.component import Component
from reactpy.core.events import EventHandler, to_event_handler_function
from reactpy.core.hooks import _ContextProvider
from reactpy.core.layout import Layout
from reactpy.core.types import (
    ComponentType,
    EventHandlerDict,
    EventHandlerFunc,
    Key,
    LayoutEventMessage,
    LayoutUpdateMessage,
    VdomJson,
)
from reactpy.core.vdom import validate_vdom_json

logger = logging.getLogger("reactpy.core.layout")  # ReactPy's own logger: the same log lines

T = TypeVar("T")
Model = dict[str, Any]
SendUpdate = Callable[[LayoutUpdateMessage], Awaitable[None]]

_ELEMENT, _COMPONENT, _TEXT = 1, 2, 3

_ID_PREFIX = secrets.token_hex(6)
_layout_counter = itertools.count()


def layout_prefix() -> str:
    """The start of a new layout's handler targets: unique within this process, and random
    across restarts, so that an event a page sent to an earlier layout (a reconnect) finds none
    of this layout's handlers."""
    return f"{_ID_PREFIX}{next(_layout_counter):x}-"


Target = int | str
"""A handler's target as the layout keeps it: the layout's number for it (the client gets the
layout's prefix and the number in hex), or the string a ReactPy ``EventHandler`` chose."""

Targets = tuple[Any, ...]
"""An element's handler targets, flat: event, target, event, target... (a dict of one entry is
about 190 bytes, a tuple of two 56)."""


def target_of(targets: Targets, event: str) -> Target | None:
    """The target ``targets`` keep for ``event``, or None."""
    for index in range(0, len(targets), 2):
        if targets[index] == event:
            found: Target = targets[index + 1]
            return found
    return None


# An element keeps its children's states in a flat tuple (key, state, key, state...) up to this
# many, in a dict by key beyond: a dict of one entry is about 220 bytes, a tuple of two 56, and
# most elements that keep any keep one or two (the ones on the way to a component).
FLAT_CHILDREN = 8

Children = tuple[Any, ...] | dict[Key, "KeptState"]


class ElementState:
    """What the layout keeps of one element between renders: the states of its children that
    keep one (``Children``: see ``FLAT_CHILDREN``), and the targets of its handlers."""

    __slots__ = ("children", "targets")

    def __init__(self) -> None:
        self.children: Children | None = None  # None: no child states
        self.targets: Targets | None = None  # None: no handlers


def child_states(children: Children | None) -> list[KeptState]:
    """The states an element's children keep, in order."""
    if children is None:
        return []
    if isinstance(children, dict):
        return list(children.values())
    return list(children[1::2])


def children_by_key(children: Children | None) -> dict[Key, KeptState]:
    """An element's child states by key (a new dict when they are kept flat)."""
    if children is None:
        return {}
    if isinstance(children, dict):
        return children
    return dict(zip(children[::2], children[1::2], strict=True))


def kept_children(pairs: list[Any]) -> Children | None:
    """What an element keeps of ``pairs`` (key, state, key, state...): see ``FLAT_CHILDREN``."""
    if not pairs:
        return None
    if len(pairs) <= 2 * FLAT_CHILDREN:
        return tuple(pairs)
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


Path = bytes | tuple[int, ...]
"""The indices of a model from the root's: bytes while every index is below 256 (a tuple of ten
ints is about 140 bytes, ten bytes about 48), a tuple beyond."""


class ComponentState(LiveHook):
    """A mounted component, as one object: its hook (ReactPy's ``LifeCycleHook``, which its
    component reaches through ``current_hook()``), its current instance (``component``), its
    layout's render queue, its place in the page (the indices of its model from the root's, as
    of its last render) and what its rendered element keeps. The same object from mount to
    unmount; three objects before (a state, its hook and the hook's render callback: about
    100 bytes a component more).

    It asks for its own render (``schedule_render``) by putting itself in the queue; ``queue``
    is None once unmounted, and a render asked for then (a setter held past the page) is dropped.
    """

    __slots__ = ("children", "path", "queue", "targets")

    def __init__(self, queue: _RenderQueue, component: ComponentType, path: Path) -> None:
        super().__init__(None)  # schedule_render below needs no callback
        self.children: Children | None = None
        self.targets: Targets | None = None
        self.queue: _RenderQueue | None = queue
        self.component = component
        self.path = path

    def schedule_render(self) -> None:
        """Ask the layout to render this component (once until it renders)."""
        queue = self.queue
        if queue is None or self._scheduled_render:
            return
        try:
            queue.put(self)
        except Exception:  # as ReactPy's: logged, and asked again at the next change
            logger.exception("Failed to schedule the render of %s", self.component)
        else:
            self._scheduled_render = True

    def forget(self) -> None:
        """Unmounted: let go of the state, providers and component instance too (a child's
        arguments can hold its parent's setter, which refers to the parent's state: a cycle)."""
        super().forget()
        del self.component

    @property
    def mounted(self) -> bool:
        """Not unmounted yet (its layout renders it when asked)."""
        return self.queue is not None

    @property
    def patch_path(self) -> str:
        """The "/"-delimited path of this component's model in the page's ("" for the root)."""
        return patch_path(self.path)


KeptState = ElementState | ComponentState | Children
"""What an element keeps of a child: a component's state; an element's state when the element
has handlers; else, for an element kept only for the components below it, its children's states
alone (``Children``, with no ``ElementState`` around them: 48 bytes less)."""


def children_of(state: KeptState) -> Children | None:
    """The child states that ``state`` keeps (see ``KeptState``)."""
    if type(state) is tuple or type(state) is dict:  # no typing.cast: a call, on every child
        return state
    return state.children  # type: ignore[union-attr]


def targets_of(state: KeptState) -> Targets | None:
    """The handler targets that ``state`` keeps (see ``KeptState``)."""
    if type(state) is tuple or type(state) is dict:
        return None
    return state.targets  # type: ignore[union-attr]


def patch_path(path: Path) -> str:
    """The "/"-delimited path of the model at ``path`` (indices from the root's)."""
    return "".join(f"/children/{index}" for index in path)


def child_path(path: Path, index: int) -> Path:
    """The path of the child at ``index`` of the model at ``path``."""
    if index < 256 and type(path) is bytes:
        return path + index.to_bytes()
    return (*path, index)


class LayoutObserver(Protocol):
    """What watches live layouts when ``LiveLayout.observer`` is set (``heavy.telemetry``)."""

    def event(self, declared: Declared, call: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        """The handler ``call`` (of the handler ``declared`` describes), as it is to run."""
        ...

    def cause(self) -> object | None:
        """What a render scheduled now comes from (a trace context), or None to keep none."""
        ...

    def effect(self, component: str, function: str, work: Awaitable[T]) -> Awaitable[T]:
        """An async effect's unit of ``work`` (``function`` of ``component``), as it is to run."""
        ...

    async def update(self, layout: LiveLayout, send: SendUpdate) -> None:
        """Wait for ``layout``'s next render (``next_render``), render it and ``send`` it."""
        ...


class _RenderQueue:
    """The components to render, each once until rendered (safe to fill from any thread).

    A list and one future while ``get`` waits, not an ``asyncio.Queue`` (three deques and an
    event: about 2 KiB for each open page)."""

    __slots__ = ("_loop", "_pending", "_ready", "_waiter", "causes", "held")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[ComponentState] = []  # put and not yet taken (a few at most)
        self._ready: list[ComponentState] = []  # put and handed to the loop, in order
        self._waiter: asyncio.Future[None] | None = None
        # What each pending render comes from, while an observer keeps causes.
        self.causes: dict[ComponentState, object] | None = None
        self.held = False  # a render runs outside the sending loop (take_now): get waits

    def put(self, state: ComponentState) -> None:
        if state not in self._pending:
            self._pending.append(state)
            if self.causes is not None and (observer := LiveLayout.observer) is not None:
                self.causes[state] = observer.cause()
            if asyncio._get_running_loop() is self._loop:
                # In the page's own loop (a handler's setter, an effect's): ready now. Through
                # call_soon_threadsafe it was one more turn of the loop before the render (and a
                # write to the loop's wake-up pipe); under load each turn waits for every ready
                # task of every page, so an answer waited that much longer.
                self._ready_now(state)
            else:
                self._loop.call_soon_threadsafe(self._ready_now, state)

    def _ready_now(self, state: ComponentState) -> None:
        self._ready.append(state)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> ComponentState:
        while not self._ready or self.held:
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        state = self._ready.pop(0)
        self._pending.remove(state)
        return state

    def take_now(self) -> ComponentState | None:
        """The next ready component, if one is and the sending loop waits in ``get`` (then
        ``release``)."""
        if not self._ready or self._waiter is None or self.held:
            return None
        self.held = True
        state = self._ready.pop(0)
        self._pending.remove(state)
        return state

    def release(self) -> None:
        self.held = False
        if self._ready:
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    @property
    def pending(self) -> bool:
        """Some render is scheduled and not yet taken."""
        return bool(self._pending)


Handler = EventHandler | Callable[..., Any]
"""What an element's attributes take as an event handler: a function, or ReactPy's EventHandler."""


def element_handler(
    function: Callable[..., Any], *, stop_propagation: bool = False, prevent_default: bool = False
) -> Handler:
    """What to put in an element's attributes for ``function`` (called with the event's data).

    The function itself when it needs neither flag: ReactPy makes its ``EventHandler`` when the
    element is created, after a cheap ``callable`` test. An ``EventHandler`` object there is
    told apart by an ``isinstance`` check on a ``typing`` Protocol instead, about 14 µs each on
    Python 3.11, on every render of every element that has one (a form's submit handler, which
    prevents the browser's default). So the flags go in a ``FlaggedHandler``, a callable that
    passes the cheap test, and the live layout reads them from it (ReactPy's own ``Layout``
    would not: it would send neither flag).
    """
    if stop_propagation or prevent_default:
        return FlaggedHandler(function, stop_propagation=stop_propagation, prevent_default=prevent_default)
    return function


class FlaggedHandler:
    """A handler function with ReactPy's two flags, as a callable (``element_handler``)."""

    __slots__ = ("function", "prevent_default", "stop_propagation")

    def __init__(
        self, function: Callable[..., Any], *, stop_propagation: bool, prevent_default: bool
    ) -> None:
        self.function = function
        self.stop_propagation = stop_propagation
        self.prevent_default = prevent_default

    def __call__(self, *data: Any) -> Any:
        return self.function(*data)

    def __repr__(self) -> str:  # ReactPy logs a handler that fails
        return f"FlaggedHandler({self.function!r})"


class AttributeHandler(EventHandler):
    """ReactPy's ``EventHandler(to_event_handler_function(called))`` for a callable an element's
    attributes gave (what ``heavy.html`` makes of it), with ReactPy's wrapper made only when
    something reads ``function`` (ReactPy's own ``Layout``): the live layout takes ``called``
    itself, as ``callee`` would take it back out of the wrapper."""

    __slots__ = ("_wrapper", "called")

    def __init__(self, called: Callable[..., Any]) -> None:  # no super().__init__: no wrapper yet
        self.called = called
        self._wrapper: EventHandlerFunc | None = None
        self.prevent_default = self.stop_propagation = False
        self.target = None

    @property
    def function(self) -> EventHandlerFunc:
        if self._wrapper is None:
            self._wrapper = to_event_handler_function(self.called)
        return self._wrapper

    @function.setter
    def function(self, wrapper: EventHandlerFunc) -> None:
        self._wrapper = wrapper

    def __repr__(self) -> str:  # ReactPy logs a handler that fails
        return f"AttributeHandler({self.called!r})"


class WholeData:
    """A handler function the layout calls with the client's data as one list (ReactPy's
    ``EventHandler.function``); any other it keeps is called with the data's items."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[Sequence[Any]], Awaitable[None]]) -> None:
        self.function = function

    def __repr__(self) -> str:
        return f"WholeData({self.function!r})"


Callee = Callable[..., Any] | WholeData
"""What the layout keeps to call a handler with (``callee``)."""


@functools.cache
def _argument_wrappers() -> tuple[CodeType, ...]:
    """The code of ReactPy's two wrappers that call a function with the event's arguments
    (``to_event_handler_function(function)``, for a sync and for an async function)."""

    def sync_function() -> None: ...

    async def async_function() -> None: ...

    return tuple(
        cast(FunctionType, to_event_handler_function(function)).__code__
        for function in (sync_function, async_function)
    )


def callee(function: Callable[[Sequence[Any]], Awaitable[None]]) -> Callee:
    """What the layout keeps of a handler's ``EventHandler.function``: the function ReactPy's
    wrapper calls with the event's arguments when it is that wrapper (not the wrapper, its cell
    and the ``EventHandler``: about 300 bytes a handler of each open page), else the function."""
    if getattr(function, "__code__", None) in _argument_wrappers():
        # Casts to names in quotes: ``Callable[..., Any]`` would make a new alias at each call.
        return cast("Callable[..., Any]", cast("FunctionType", function).__closure__[0].cell_contents)  # type: ignore[index]
    return WholeData(function)


def _is_sync(handler: Callee) -> bool:
    # As ReactPy's wrapper decided (``to_event_handler_function``).
    return type(handler) is not WholeData and not asyncio.iscoroutinefunction(handler)


async def _call(handler: Callee, data: Sequence[Any]) -> None:
    if _is_sync(handler):
        _call_sync(handler, data)
        return
    try:
        if type(handler) is WholeData:
            await handler.function(data)
        else:
            await cast("Callable[..., Awaitable[None]]", handler)(*data)
    except Exception:  # as ReactPy's deliver: the handler's error is logged, the page goes on
        logger.exception("Failed to execute event handler %s", handler)


def _call_sync(handler: Callee, data: Sequence[Any]) -> None:
    try:
        handler(*data)  # type: ignore[operator]
    except Exception:  # as in _call
        logger.exception("Failed to execute event handler %s", handler)


def _copy(layouts: WeakSet[LiveLayout]) -> list[LiveLayout]:
    # Read from other threads (hot reload's file watcher) while the loop adds and removes.
    while True:
        try:
            return list(layouts)
        except RuntimeError:  # changed size during the copy: copy again
            continue


def children_info(children: Sequence[Any]) -> list[tuple[Any, int, Any]]:
    """Each child, its kind and its key: ReactPy's ``_get_children_info``, exact types first."""
    infos: list[tuple[Any, int, Any]] = []
    for index, child in enumerate(children):
        if child is None:
            continue
        kind = type(child)
        if kind is str:
            child_type, key = _TEXT, None
        elif kind is dict or isinstance(child, dict):
            child_type, key = _ELEMENT, child.get("key")
        elif kind is Component or kind is _ContextProvider or isinstance(child, ComponentType):
            child_type, key = _COMPONENT, child.key
        else:
            child, child_type, key = f"{child}", _TEXT, None
        infos.append((child, child_type, index if key is None else key))
    return infos


class _Rendering:
    """What one update leaves for after its (synchronous) render: the rendered hooks, whose
    effects start then; the effect tasks of the components it unmounted, waited for; and those
    components' states, let go of once their effects are done."""

    __slots__ = ("rendered", "stopped", "unmounted")

    def __init__(self) -> None:
        self.rendered: list[LiveHook] = []
        self.stopped: list[asyncio.Task[None]] = []
        self.unmounted: list[ComponentState] = []

    async def finish(self) -> None:
        """Start the new effects (innermost first, as ReactPy's exit stack did), then wait for
        the stopped ones: a cancelled wait (a closing page) still lets every state go, and the
        stopped effects still clean up (``finish_effects``)."""
        for hook in reversed(self.rendered):
            hook.layout_did_render()
        try:
            await finish_effects(self.stopped)
        finally:
            for state in self.unmounted:
                state.forget()


class LiveLayout(Layout):
    """ReactPy's ``Layout`` with lean states and hooks (see the module's docstring).

    Used as ReactPy's is: ``async with LiveLayout(root) as layout``, then ``render()`` for
    each update and ``deliver(event)`` for each event.
    """

    __slots__ = ("_bad_events", "_loop", "_queue", "_root", "_target_count", "_target_prefix")

    live: ClassVar[WeakSet[LiveLayout]] = WeakSet()
    """The layouts entered and not yet exited, in any thread."""

    observer: ClassVar[LayoutObserver | None] = None
    """What watches events and renders (``heavy.telemetry``); None: nothing does."""

    def __init__(self, root: ComponentType) -> None:
        # Not ReactPy's: it checks ``root`` against the ComponentType protocol at run time,
        # about 2% of a new page's server CPU.
        if not callable(getattr(root, "render", None)):
            msg = f"a LiveLayout renders a component (an object with a render method), not {type(root)!r}"
            raise TypeError(msg)
        self.root = root

    async def __aenter__(self) -> LiveLayout:
        self._loop = asyncio.get_running_loop()
        self._event_handlers: dict[Target, Callee] = {}  # type: ignore[assignment]
        self._target_prefix = layout_prefix()
        self._target_count = 0
        self._queue = _RenderQueue(self._loop)
        if LiveLayout.observer is not None:
            self._queue.causes = {}
        self._root = ComponentState(self._queue, self.root, b"")
        self._queue.put(self._root)
        self._bad_events: BadEvents | None = None  # made at the first event that fits no handler
        LiveLayout.live.add(self)
        return self

    async def __aexit__(self, *exc: object) -> None:
        LiveLayout.live.discard(self)
        if self._bad_events is not None:
            self._bad_events.summarize()
        if self._root.mounted:
            await self._unmount([self._root])
        del self._event_handlers
        del self._root

    # --- events --------------------------------------------------------------------------

    def accept(
        self, event: LayoutEventMessage, *, sync_now: bool = False
    ) -> Coroutine[Any, Any, None] | None:
        """The call of ``event``'s handler with what its declared type read from the client's
        data (``heavy.events``); None when the handler is gone (its element re-rendered or
        unmounted since the client saw it) or the data does not fit (dropped, and logged a few
        times a minute). ``sync_now``: a handler that is a plain function is called here and
        None returned (no task for it; while an observer watches, every call is returned).
        Raises ``TooManyBadEventsError`` when this page keeps sending data that fits no
        handler: its connection is closed.
        """
        handler = self._handler_of(event["target"])
        if handler is None:
            return None
        if type(handler) is WholeData:
            declared = declared_event(handler.function)
        else:
            declared = declared_of(cast("Callable[..., Any]", handler))
        arguments = declared.takes.parse(event["data"])
        if arguments is None:
            if self._bad_events is None:
                self._bad_events = BadEvents()
            if self._bad_events.report(declared.name, declared.takes.name, event["data"]):
                raise TooManyBadEventsError("events that fit no handler, again and again")
            return None
        data = event["data"] if declared.hand_over is None else declared.hand_over(arguments)
        if LiveLayout.observer is not None:
            return LiveLayout.observer.event(declared, _call(handler, data))
        if sync_now and _is_sync(handler):
            _call_sync(handler, data)
            return None
        return _call(handler, data)

    async def deliver(self, event: LayoutEventMessage) -> None:
        """Check ``event`` and call its handler (see ``accept``), as ReactPy's ``deliver`` does."""
        call = self.accept(event)
        if call is not None:
            await call

    async def render(self) -> LayoutUpdateMessage:
        """Wait for a component to need rendering; render it and describe the change."""
        while True:
            state = await self._queue.get()
            if state.mounted:  # else unmounted since it was scheduled
                return await self._update(state)

    async def render_ready(self, send: Callable[[LayoutUpdateMessage], Awaitable[None]]) -> None:
        """Render and send what is ready now, here, while the sending loop waits."""
        queue = self._queue
        while (state := queue.take_now()) is not None:
            try:
                if state.mounted:
                    await send(await self._update(state))
            finally:
                queue.release()

    async def next_render(self) -> tuple[ComponentState, object | None]:
        """Wait for a component to need rendering: its state, and what the render comes from
        (what the observer said when it was scheduled). ``render_component`` renders it."""
        while True:
            state = await self._queue.get()
            causes = self._queue.causes
            cause = None if causes is None else causes.pop(state, None)
            if state.mounted:  # else unmounted since it was scheduled
                return state, cause

    async def render_component(self, state: ComponentState) -> LayoutUpdateMessage:
        """Render the component of ``state`` (from ``next_render``) and describe the change."""
        return await self._update(state)

    def mounted_components(self) -> list[ComponentState]:
        """The states of the components mounted now, parents first (a walk of the page)."""
        found: list[ComponentState] = []
        to_visit: list[KeptState] = [self._root]
        while to_visit:
            state = to_visit.pop()
            if isinstance(state, ComponentState):
                found.append(state)
            to_visit.extend(reversed(child_states(children_of(state))))
        return found

    @property
    def render_pending(self) -> bool:
        """A render is scheduled and not yet taken by ``render()``."""
        return self._queue.pending

    def rerender(self) -> None:
        """Render the whole page again, as a state change of its root would (any thread)."""
        self._loop.call_soon_threadsafe(self._rerender_root)

    def _rerender_root(self) -> None:
        root: ComponentState | None = getattr(self, "_root", None)
        if root is not None:  # else: closed since
            root.schedule_render()

    @classmethod
    def rerender_all(cls) -> int:
        """Ask every live layout to render its whole page again; returns how many were asked."""
        asked = 0
        for layout in _copy(cls.live):
            if not layout._loop.is_closed():
                layout.rerender()
                asked += 1
        return asked

    # --- rendering -----------------------------------------------------------------------

    async def _update(self, state: ComponentState) -> LayoutUpdateMessage:
        rendering = _Rendering()
        model = self._render_component_model(rendering, state, state, None)
        await rendering.finish()
        if REACTPY_CHECK_VDOM_SPEC.current:
            validate_vdom_json(model)
        return {"type": "layout-update", "path": state.patch_path, "model": cast(VdomJson, model)}

    def _render_component_model(
        self,
        rendering: _Rendering,
        old: KeptState | None,
        state: ComponentState,
        parent_hook: LiveHook | None,
    ) -> Model:
        """Render ``state``'s component (``old``: what its element kept, ``state`` itself when
        it was rendered before) and keep in ``state`` what its element keeps now."""
        hook, component = state, state.component
        rendering.rendered.append(hook)
        hook.start_render(component, parent_hook)
        rendered = ElementState()
        try:
            raw_model = component.render()
        except Exception as error:
            hook.finish_render()
            model = self._render_error(component, error)
        else:
            hook.finish_render()
            try:
                # ReactPy wraps every component's output in a fragment: its own node in the tree.
                model = self._render_element(
                    rendering, old, rendered, {"tagName": "", "children": [raw_model]}, hook, state.path
                )
            except Exception as error:
                model = self._render_error(component, error)
        state.children = rendered.children
        state.targets = rendered.targets
        return model

    def _render_error(self, component: ComponentType, error: Exception) -> Model:
        logger.exception(f"Failed to render {component}")
        return {
            "tagName": "",
            "error": f"{type(error).__name__}: {error}" if REACTPY_DEBUG_MODE.current else "",
        }

    def _render_element(
        self,
        rendering: _Rendering,
        old: KeptState | None,
        new: ElementState,
        raw_model: Any,
        hook: LiveHook,
        path: Path,
    ) -> Model:
        try:
            model: Model = {"tagName": raw_model["tagName"]}
        except Exception as e:  # nocov
            msg = f"Expected a VDOM element dict, not {raw_model}"
            raise ValueError(msg) from e
        if "key" in raw_model:
            model["key"] = raw_model["key"]
        if "importSource" in raw_model:
            model["importSource"] = raw_model["importSource"]
        self._render_attributes(old, new, raw_model, model)
        self._render_children(rendering, old, new, raw_model.get("children", []), model, hook, path)
        return model

    def _render_attributes(
        self, old: KeptState | None, new: ElementState, raw_model: dict[str, Any], model: Model
    ) -> None:
        handlers_by_event: EventHandlerDict = raw_model.get("eventHandlers", {})
        if "attributes" in raw_model:
            model["attributes"] = raw_model["attributes"].copy()
        old_targets = targets_of(old) if old is not None else None
        if old_targets:
            for index in range(0, len(old_targets), 2):
                if old_targets[index] not in handlers_by_event:
                    del self._event_handlers[old_targets[index + 1]]
        if not handlers_by_event:
            return
        model_handlers: Model = {}
        model["eventHandlers"] = model_handlers
        targets: list[Any] = []
        for event, handler in handlers_by_event.items():
            target = target_of(old_targets, event) if old_targets else None
            if target is None:
                target = self._new_target() if handler.target is None else handler.target
            targets += (event, target)
            function = handler.called if type(handler) is AttributeHandler else callee(handler.function)
            prevent_default, stop_propagation = handler.prevent_default, handler.stop_propagation
            if type(function) is FlaggedHandler:  # element_handler's: its flags, its function
                prevent_default, stop_propagation = function.prevent_default, function.stop_propagation
                function = function.function
            self._event_handlers[target] = function
            model_handlers[event] = {
                "target": target if type(target) is str else f"{self._target_prefix}{target:x}",
                "preventDefault": prevent_default,
                "stopPropagation": stop_propagation,
            }
        new.targets = tuple(targets)

    def _new_target(self) -> int:
        # Small numbers: Python shares the ints below 257, so most pages keep no object for one.
        self._target_count += 1
        return self._target_count

    def _handler_of(self, target: object) -> Callee | None:
        """The handler the client's ``target`` names, if this layout still has it."""
        if type(target) is not str:
            return None
        prefix = self._target_prefix
        if target.startswith(prefix):
            try:
                return self._event_handlers.get(int(target[len(prefix) :], 16))
            except ValueError:
                return None
        return self._event_handlers.get(target)  # a target a ReactPy EventHandler chose

    @staticmethod
    def _children_info(path: Path, raw_children: Sequence[Any]) -> list[tuple[Any, int, Any]]:
        infos = children_info(raw_children)
        if len({key for _, _, key in infos}) != len(infos):
            counts = Counter(key for _, _, key in infos)
            duplicate_keys = [key for key, count in counts.items() if count > 1]
            msg = f"Duplicate keys {duplicate_keys} at {patch_path(path) or '/'!r}"
            raise ValueError(msg)
        return infos

    def _render_children(
        self,
        rendering: _Rendering,
        old: KeptState | None,
        new: ElementState,
        raw_children: Any,
        model: Model,
        hook: LiveHook,
        path: Path,
    ) -> None:
        if not isinstance(raw_children, list | tuple):
            raw_children = [raw_children]
        old_children = children_by_key(children_of(old)) if old is not None else None
        if old_children is None:
            if not raw_children:
                return
        elif not raw_children:
            self._unmount_now(list(old_children.values()), rendering)
            return
        infos = self._children_info(path, raw_children)
        if old_children:
            gone = set(old_children).difference(key for _, _, key in infos)
            if gone:
                self._unmount_now([old_children[key] for key in gone], rendering)
        children: list[Any] = []
        model["children"] = children
        kept: list[Any] = []  # key, state, key, state...: the children's states to keep
        try:
            self._render_each_child(rendering, old_children, infos, children, kept, hook, path)
        finally:  # a render that raised keeps what it rendered so far (for the closing layout)
            new.children = kept_children(kept)

    def _render_each_child(
        self,
        rendering: _Rendering,
        old_children: dict[Key, KeptState] | None,
        infos: list[tuple[Any, int, Any]],
        children: list[Any],
        kept: list[Any],
        hook: LiveHook,
        path: Path,
    ) -> None:
        for index, (child, child_type, key) in enumerate(infos):
            old_child = old_children.get(key) if old_children else None
            if child_type is _ELEMENT:
                if old_child is None and is_static(child):
                    children.append(child)  # its own model: nothing to render, nothing to keep
                    continue
                if isinstance(old_child, ComponentState):
                    self._unmount_now([old_child], rendering)
                    old_child = None
                new_child = ElementState()
                children.append(
                    self._render_element(
                        rendering, old_child, new_child, child, hook, child_path(path, index)
                    )
                )
                if new_child.targets is not None:
                    kept += (key, new_child)
                elif new_child.children is not None:
                    kept += (key, new_child.children)  # its children's states alone (KeptState)
                # else inert: nothing to keep (see above)
            elif child_type is _COMPONENT:
                if isinstance(old_child, ComponentState) and old_child.component.type == child.type:
                    # The same state, its hook (and so the component's state) carried over.
                    component_state = old_child
                    component_state.component = child
                    component_state.path = child_path(path, index)
                else:  # new, of another type, or an element turned component
                    if isinstance(old_child, ComponentState):
                        self._unmount_now([old_child], rendering)
                        old_child = None
                    component_state = ComponentState(self._queue, child, child_path(path, index))
                children.append(self._render_component_model(rendering, old_child, component_state, hook))
                kept += (key, component_state)
            else:
                if old_child is not None:
                    self._unmount_now([old_child], rendering)
                children.append(child)

    async def _unmount(self, old_states: list[KeptState]) -> None:
        """Unmount ``old_states`` and everything below them, and wait for their effects."""
        rendering = _Rendering()
        self._unmount_now(old_states, rendering)
        await rendering.finish()

    def _unmount_now(self, old_states: list[KeptState], rendering: _Rendering) -> None:
        """Drop handlers and stop the effects of the components, parents first; each component
        once. Their effects' tasks, and the letting go of their states, are left to
        ``rendering.finish``."""
        to_unmount = old_states[::-1]  # in the order they rendered
        while to_unmount:
            state = to_unmount.pop()
            if isinstance(state, ComponentState):
                if not state.mounted:
                    continue  # unmounted already, with everything below it
                state.queue = None
                self._drop_handlers(state)
                rendering.stopped += state.stop_effects()
                rendering.unmounted.append(state)
            else:
                self._drop_handlers(state)
            children = children_of(state)
            if children is not None:
                to_unmount.extend(child_states(children))

    def _drop_handlers(self, state: KeptState) -> None:
        targets = targets_of(state)
        if targets:
            for index in range(1, len(targets), 2):
                self._event_handlers.pop(targets[index], None)
