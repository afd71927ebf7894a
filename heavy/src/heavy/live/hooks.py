"""The life-cycle hook of every component a ``LiveLayout`` renders.

ReactPy's ``LifeCycleHook`` (one per mounted component) is kept as the base: components reach
it through ReactPy's own hooks (``use_state``, ``use_effect``, ``use_context``), which call
``current_hook()``. ``LiveHook`` changes how it is driven and what it keeps:

- **The current hook, one render at a time.** ReactPy keeps the hooks being rendered on a
  stack per thread, and keeps a parent's hook on it while its children render, across the
  awaits of the layout: Sanic serves every websocket on one thread, so two layouts rendering at
  once interleave their pushes and pops ("Hook stack is in an invalid state"). A ``LiveLayout``
  pushes a hook, runs the component's (synchronous) render and pops it, with no await in
  between (``start_render``/``finish_render``): the stack is empty whenever the loop switches
  tasks, whichever layouts render at once. The parent's context providers, which ReactPy
  read from the stack, are handed over by the layout instead.
- **Shared context providers.** ReactPy copies every provider above a component into the
  component's own dict on every render, and keeps it while mounted (about 280 bytes per
  component with the app root's six contexts). Here the providers form a chain
  (``ProviderLink``): a hook refers to the chain its parent had when it rendered it, and each
  provider it sets during its render is one link more on top (a dict per providing hook, each
  a copy of all the providers above it, was about 400 bytes). ``use_context`` walks the chain
  from the nearest provider up, so the nearest of a context's providers is the one found, as
  with ReactPy's merge. A hook's own links are made again at each of its renders, as its
  component sets its providers again.
- **Clean-ups that a cancelled close cannot skip.** ReactPy runs each effect in an asyncio task
  waiting on a stop event until unmount, and its unmount awaits those tasks component by
  component: a page whose serving was cancelled while it closed (a dropped connection) skipped
  the clean-ups of the components not yet reached, so presence watchers and topic
  subscriptions of closed pages stayed behind. A ``LiveHook`` waits for its effects shielded
  (``finish_effects``: a cancellation does not reach them), and a ``LiveLayout`` whose close is
  cancelled goes on unmounting the other components before the cancellation goes on. A hook
  makes one stop signal, at its first effect, for all its effects (ReactPy made one per render,
  and set them all at once at unmount), and it
  is an ``EffectStop``, not an ``asyncio.Event``: an Event makes its waiter deque (about 600
  bytes) when it is created, and every idle page keeps one per component with effects.
- **Nothing made before it is used.** The effect lists are made at the first effect, and a hook
  that provides no context shares one empty providers dict until its first render hands it
  its parent's.
- **No render guard.** ReactPy gives every hook an anyio ``Semaphore`` (its waiter deque made
  up front: a tenth of an idle connection) that also yields to the loop once per component
  per render. A ``LiveLayout`` renders one update at a time, so a component's renders never
  overlap: there is nothing to guard.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from types import CodeType, FunctionType
from typing import Any, TypeVar

from heavy.live.lazy_event import LazyEvent
from reactpy.core import _life_cycle_hook
from reactpy.core._life_cycle_hook import EffectFunc, LifeCycleHook
from reactpy.core.hooks import _CurrentState
from reactpy.core.hooks import use_effect as _reactpy_use_effect  # noqa: TID251 - its code is read, not called
from reactpy.core.types import ComponentType, Context, ContextProviderType
from reactpy.utils import Ref

T = TypeVar("T")

logger = logging.getLogger("reactpy.core._life_cycle_hook")  # ReactPy's own: the same log lines

# ReactPy's per-thread stack of the hooks being rendered (read by current_hook()).
_HOOK_STACK = _life_cycle_hook._HOOK_STATE
# The same list per thread, found at a thread-local's speed: ReactPy's ThreadLocal looks the
# thread up in a WeakKeyDictionary, about 6% of a new page's server CPU at three a component.
_this_thread = threading.local()


def hook_stack() -> list[LifeCycleHook]:
    """This thread's stack of the hooks being rendered: ReactPy's own list."""
    try:
        stack: list[LifeCycleHook] = _this_thread.hook_stack
    except AttributeError:
        stack = _this_thread.hook_stack = _HOOK_STACK.get()
    return stack


def current_hook() -> LifeCycleHook:
    """The hook of the component being rendered, as ReactPy's ``current_hook()``, faster."""
    stack = hook_stack()
    if not stack:
        msg = "current_hook() was called outside a component's render: no hook is being rendered"
        raise RuntimeError(msg)
    return stack[-1]


class ProviderLink:
    """One context provider, set by ``owner`` during its render, on top of the ``above`` links
    (the providers of the components above it; None: none)."""

    __slots__ = ("above", "owner", "provider")

    def __init__(
        self, provider: ContextProviderType[Any], above: ProviderLink | None, owner: LiveHook
    ) -> None:
        self.provider = provider
        self.above = above
        self.owner = owner  # a cycle with its hook while mounted: ``forget`` drops the chain


class EffectStop(LazyEvent):
    """What a hook's effects wait on until their component goes: ``set`` at unmount. ReactPy's
    effects use ``wait``, ``set`` and ``is_set`` of the ``asyncio.Event`` they expect."""

    __slots__ = ()


Kept = list["asyncio.Task[None] | Ref[Any]"] | tuple[()] | None
"""What a hook's unmount undoes: for each ``use_effect`` that ran, the ``Ref`` ReactPy keeps its
last clean-up in; for any other effect, its task. ``_UNMOUNTED`` once unmounted."""

_UNMOUNTED: tuple[()] = ()


@functools.cache
def _reactpy_effect_code() -> CodeType | None:
    """The code of the ``effect(stop)`` function ReactPy's ``use_effect`` hands to the hook: it
    runs the last clean-up, then the effect, keeps the new clean-up in the ``Ref`` named
    ``last_clean_callback`` and waits for the stop to run it. None if ReactPy's differs."""
    add_effect = _inner_code(_reactpy_use_effect.__code__, "add_effect")
    effect = None if add_effect is None else _inner_code(add_effect, "effect")
    if effect is None or not {"last_clean_callback", "sync_function"} <= set(effect.co_freevars):
        return None
    return effect


def _inner_code(code: CodeType, name: str) -> CodeType | None:
    found = [const for const in code.co_consts if isinstance(const, CodeType) and const.co_name == name]
    return found[0] if len(found) == 1 else None


def reactpy_effect_parts(effect: EffectFunc) -> tuple[Ref[Any], Callable[[], Any]] | None:
    """For an effect of ReactPy's ``use_effect``: the ``Ref`` of its last clean-up and the
    function that runs it and returns its clean-up; None for any other effect function."""
    code: CodeType | None = _reactpy_effect_code()
    if code is None:
        return None
    if not isinstance(effect, FunctionType) or effect.__code__ is not code:
        return None
    cells = dict(zip(code.co_freevars, effect.__closure__ or (), strict=True))
    return cells["last_clean_callback"].cell_contents, cells["sync_function"].cell_contents


class LiveHook(LifeCycleHook):
    """ReactPy's ``LifeCycleHook``, driven by a ``LiveLayout`` (see the module's docstring)."""

    __slots__ = ()

    def __init__(self, schedule_render: Callable[[], None] | None) -> None:
        # ReactPy's __init__, less the render guard (``_render_access`` stays unset); the
        # effect lists are made at the first effect. None: a subclass's ``schedule_render``
        # needs no callback (the layout's ``ComponentState``).
        # Not ReactPy's dict: the top of this hook's chain of providers (``ProviderLink``).
        self._context_providers: ProviderLink | None = None  # type: ignore[assignment]
        self._schedule_render_callback = schedule_render  # type: ignore[assignment]
        self._scheduled_render = False
        self._rendered_atleast_once = False
        self._current_state_index = 0
        self._state: tuple[Any, ...] = ()
        self._effect_funcs: list[EffectFunc] | None = None  # type: ignore[assignment]
        # What the unmount undoes (see ``Kept``); ReactPy's slot for its effects' tasks.
        self._effect_tasks: Kept = None  # type: ignore[assignment]
        # ReactPy's slot for its list of stop events holds the hook's one stop here.
        self._effect_stops: EffectStop | None = None  # type: ignore[assignment]

    def start_render(self, component: ComponentType, parent: LiveHook | None) -> None:
        """Make this the current hook for ``component``'s render (it stays ``self.component``
        until the next: the layout keeps the component there); ``parent`` is the hook of
        the component that renders it now (None when this component re-renders alone).

        Call ``finish_render`` with no await in between: the hook stack is per thread.
        """
        self._scheduled_render = False
        self.component = component
        # The render sets this hook's own providers again: the chain starts from the parent's.
        if parent is not None:
            self._context_providers = parent._context_providers
        else:
            link: ProviderLink | None = self._context_providers
            while link is not None and link.owner is self:
                link = link.above
            self._context_providers = link
        self.set_current()

    def finish_render(self) -> None:
        """The component's render returned (or raised): it is no longer the current hook."""
        self.unset_current()
        self._rendered_atleast_once = True
        self._current_state_index = 0

    def set_current(self) -> None:
        """Push this hook (its providers were handed over by ``start_render``)."""
        hook_stack().append(self)

    def unset_current(self) -> None:
        """Pop this hook: its component's render is over."""
        if hook_stack().pop() is not self:
            raise RuntimeError("the hook stack's top is another component's hook: two renders interleaved")

    def set_context_provider(self, provider: ContextProviderType[Any]) -> None:
        """Provide a context to the components below (a link on top of this hook's chain)."""
        above: ProviderLink | None = self._context_providers
        self._context_providers = ProviderLink(provider, above, self)

    def get_context_provider(self, context: Context[T]) -> ContextProviderType[T] | None:
        """The nearest provider of ``context`` above this component (or its own), or None."""
        link: ProviderLink | None = self._context_providers
        while link is not None:
            provider = link.provider
            if provider.type == context:
                return provider
            link = link.above
        return None

    async def affect_component_will_render(self, component: ComponentType) -> None:
        """ReactPy's entry for a layout of its own: as ``start_render`` with no parent."""
        self.start_render(component, None)

    async def affect_component_did_render(self) -> None:
        """ReactPy's entry for a layout of its own: as ``finish_render``."""
        self.finish_render()

    def add_effect(self, effect_func: EffectFunc) -> None:
        """Run ``effect_func`` once the layout has rendered (ReactPy's, with the list made here)."""
        if self._effect_funcs is None:
            self._effect_funcs = [effect_func]
        else:
            self._effect_funcs.append(effect_func)

    async def affect_layout_did_render(self) -> None:
        """ReactPy's entry for a layout of its own: as ``layout_did_render``."""
        self.layout_did_render()

    def layout_did_render(self) -> None:
        """The update was rendered: its effects start at the loop's next turn (after the update
        went out, as the tasks ReactPy makes for them would)."""
        added = self._effect_funcs
        if not added:
            return
        self._effect_funcs = None
        asyncio.get_running_loop().call_soon(self._start_effects, added)

    def _start_effects(self, added: list[EffectFunc]) -> None:
        kept = self._effect_tasks
        if isinstance(kept, tuple):  # _UNMOUNTED
            return  # unmounted before its effects could start: nothing to start or undo
        if kept is None:
            kept = self._effect_tasks = []
        for effect in added:
            parts = reactpy_effect_parts(effect)
            if parts is None:  # another effect than use_effect's: a task waiting for the stop
                kept.append(asyncio.create_task(effect(self._stop())))  # type: ignore[arg-type]
                continue
            last_clean, run = parts
            try:
                previous, last_clean.current = last_clean.current, None
                if previous is not None:
                    previous()
                last_clean.current = run()
            except Exception:
                logger.exception("Error in effect")
            if not any(entry is last_clean for entry in kept):  # a Ref's == compares contents
                kept.append(last_clean)

    def _stop(self) -> EffectStop:
        stop = self._effect_stops
        if stop is None:
            stop = self._effect_stops = EffectStop()
        return stop

    def stop_effects(self) -> list[asyncio.Task[None]]:
        """The component goes: run its ``use_effect`` clean-ups and tell its other effects (no
        await); the tasks of those, which run their own clean-ups, are returned for
        ``finish_effects``."""
        kept, stop = self._effect_tasks, self._effect_stops
        self._effect_tasks, self._effect_stops = _UNMOUNTED, None
        if stop is not None:
            stop.set()
        tasks: list[asyncio.Task[None]] = []
        for entry in kept or ():
            if isinstance(entry, asyncio.Task):
                tasks.append(entry)
                continue
            clean, entry.current = entry.current, None
            if clean is not None:
                try:
                    clean()
                except Exception:
                    logger.exception("Error in effect")
        return tasks

    async def affect_component_will_unmount(self) -> None:
        """ReactPy's entry for a layout of its own: stop the effects and wait for them."""
        await finish_effects(self.stop_effects())

    def forget(self) -> None:
        """The component has unmounted: let go of its state and providers now.

        ReactPy's ``use_state`` keeps its setter on its state, and the setter refers to that
        state and to the hook: a cycle per state, and through the hook's state the component's
        handlers, values and providers. A closed page's objects were freed only by the cycle
        collector, about 500 per page, walked by young and middle collections until then (their
        pauses were the longest waits under load). Undone here, most of a closed page is freed
        as it closes. A setter still held elsewhere (a unit of work finishing late) keeps
        working: it schedules a render that finds no component.
        """
        for state in self._state:
            if type(state) is _CurrentState:
                del state.dispatch  # the setter itself lives on as long as someone holds it
        self._state = ()
        self._context_providers = None


async def finish_effects(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for stopped effects to run their clean-ups; a cancellation of the wait does not
    reach them (each still cleans up), and what they raise is logged."""
    if not tasks:
        return
    done = await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
    for outcome in done:
        if isinstance(outcome, Exception):
            logger.error("Error in effect", exc_info=outcome)
