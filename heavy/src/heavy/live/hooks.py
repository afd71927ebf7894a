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
  component with the app root's six contexts). A hook that provides nothing refers to its
  parent's dict (the same providers, looked up the same way); the first provider it sets
  gives it a dict of its own, seeded from the one it referred to, and from then on each render
  merges the parent's providers into it as ReactPy does.
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
import logging
from collections.abc import Callable
from typing import Any
from weakref import ref as weakref

from heavy.live.lazy_event import LazyEvent
from reactpy.core import _life_cycle_hook
from reactpy.core._life_cycle_hook import EffectFunc, LifeCycleHook
from reactpy.core.hooks import _CurrentState
from reactpy.core.types import ComponentType, ContextProviderType

logger = logging.getLogger("reactpy.core._life_cycle_hook")  # ReactPy's own: the same log lines

# ReactPy's per-thread stack of the hooks being rendered (read by current_hook()).
_HOOK_STACK = _life_cycle_hook._HOOK_STATE

# A hook's providers until its first render hands it its parent's (never written to).
_NO_PROVIDERS: dict[Any, Any] = {}


class OwnProviders(dict[Any, Any]):
    """The providers dict of the hook that provided a context (hooks below borrow it as it is)."""

    __slots__ = ("owner",)

    def __init__(self, owner: LiveHook, providers: dict[Any, Any]) -> None:
        super().__init__(providers)
        self.owner = weakref(owner)


class EffectStop(LazyEvent):
    """What a hook's effects wait on until their component goes: ``set`` at unmount. ReactPy's
    effects use ``wait``, ``set`` and ``is_set`` of the ``asyncio.Event`` they expect."""

    __slots__ = ()


class LiveHook(LifeCycleHook):
    """ReactPy's ``LifeCycleHook``, driven by a ``LiveLayout`` (see the module's docstring)."""

    __slots__ = ()

    def __init__(self, schedule_render: Callable[[], None] | None) -> None:
        # ReactPy's __init__, less the render guard (``_render_access`` stays unset); the
        # effect lists are made at the first effect. None: a subclass's ``schedule_render``
        # needs no callback (the layout's ``ComponentState``).
        self._context_providers: dict[Any, Any] = _NO_PROVIDERS
        self._schedule_render_callback = schedule_render  # type: ignore[assignment]
        self._scheduled_render = False
        self._rendered_atleast_once = False
        self._current_state_index = 0
        self._state: tuple[Any, ...] = ()
        self._effect_funcs: list[EffectFunc] | None = None  # type: ignore[assignment]
        self._effect_tasks: list[asyncio.Task[None]] | None = None  # type: ignore[assignment]
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
        if parent is not None:
            parents = parent._context_providers
            providers = self._context_providers
            if type(providers) is OwnProviders and providers.owner() is self:
                providers.update(parents)  # ReactPy's merge, for hooks that provide
            else:
                self._context_providers = parents
        self.set_current()

    def finish_render(self) -> None:
        """The component's render returned (or raised): it is no longer the current hook."""
        self.unset_current()
        self._rendered_atleast_once = True
        self._current_state_index = 0

    def set_current(self) -> None:
        """Push this hook (its providers were handed over by ``start_render``)."""
        _HOOK_STACK.get().append(self)

    def set_context_provider(self, provider: ContextProviderType[Any]) -> None:
        """Provide a context to the components below; the hook's own dict is made first."""
        providers = self._context_providers
        if not (type(providers) is OwnProviders and providers.owner() is self):
            providers = self._context_providers = OwnProviders(self, providers)
        providers[provider.type] = provider

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
        """The update was rendered: start the effects it added (the hook's one stop for all)."""
        added = self._effect_funcs
        if not added:
            return
        self._effect_funcs = None
        stop = self._effect_stops
        if stop is None:
            stop = self._effect_stops = EffectStop()
        # ReactPy's effects take an asyncio.Event; they only wait on it.
        tasks = [asyncio.create_task(effect(stop)) for effect in added]  # type: ignore[arg-type]
        if self._effect_tasks is None:
            self._effect_tasks = tasks
        else:
            self._effect_tasks.extend(tasks)

    def stop_effects(self) -> list[asyncio.Task[None]]:
        """Tell this hook's effects that the component goes (no await); their tasks, which
        run the clean-ups, are returned for ``finish_effects``."""
        stop, tasks = self._effect_stops, self._effect_tasks
        self._effect_stops = self._effect_tasks = None
        if stop is not None:
            stop.set()
        return tasks or []

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
        self._context_providers = _NO_PROVIDERS


async def finish_effects(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for stopped effects to run their clean-ups; a cancellation of the wait does not
    reach them (each still cleans up), and what they raise is logged."""
    if not tasks:
        return
    done = await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))
    for outcome in done:
        if isinstance(outcome, Exception):
            logger.error("Error in effect", exc_info=outcome)
