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
- **Effects without tasks.** ReactPy runs each effect in an asyncio task that waits on an
  ``asyncio.Event`` until the component unmounts (a task, a future and an event with its waiter
  deque: about 1 KiB per effect of an idle page), and its unmount awaits those tasks, so a page
  whose serving was cancelled while it closed (a dropped connection) skipped the clean-ups of
  the effects not yet reached: presence watchers and topic subscriptions of closed pages stayed
  behind. An effect made by ReactPy's ``use_effect`` (all of heavy's hooks) awaits nothing but
  that stop: a ``LiveHook`` runs it up to there at once and keeps only the suspended coroutine,
  which the unmount resumes, with no await, to run its clean-up. Any other effect (a
  ``hook.add_effect`` of another library) still gets ReactPy's task and stop event.
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
from collections.abc import Callable, Coroutine, Iterator
from types import CodeType
from typing import Any
from weakref import ref as weakref

from reactpy.core import _life_cycle_hook, hooks
from reactpy.core._life_cycle_hook import EffectFunc, LifeCycleHook
from reactpy.core.types import ComponentType, ContextProviderType

logger = logging.getLogger("reactpy.core._life_cycle_hook")  # ReactPy's own: the same log lines

# ReactPy's per-thread stack of the hooks being rendered (read by current_hook()).
_HOOK_STACK = _life_cycle_hook._HOOK_STATE

# A hook's providers until its first render hands it its parent's (never written to).
_NO_PROVIDERS: dict[Any, Any] = {}


def _inner_code(code: CodeType, name: str) -> CodeType:
    return next(const for const in code.co_consts if isinstance(const, CodeType) and const.co_name == name)


# The code of the effect ReactPy's use_effect makes: it runs the effect's function, awaits
# ``stop.wait()`` and runs the clean-up; nothing else is awaited (reactpy_internals.py).
_USE_EFFECT_CODE = _inner_code(_inner_code(hooks.use_effect.__code__, "add_effect"), "effect")  # noqa: TID251


class _Parked:
    """What ``stop.wait()`` gives a parked effect: awaiting it suspends the coroutine once."""

    __slots__ = ()

    def __await__(self) -> Iterator[Any]:
        return iter(_PARK)

    def wait(self) -> _Parked:  # the effect's ``stop``: its ``wait()`` is this same object
        return self


_PARKED = _Parked()
_PARK = (_PARKED,)

Parked = Coroutine[Any, Any, None]


class OwnProviders(dict[Any, Any]):
    """The providers dict of the hook that provided a context (hooks below borrow it as it is)."""

    __slots__ = ("owner",)

    def __init__(self, owner: LiveHook, providers: dict[Any, Any]) -> None:
        super().__init__(providers)
        self.owner = weakref(owner)


class LiveHook(LifeCycleHook):
    """ReactPy's ``LifeCycleHook``, driven by a ``LiveLayout`` (see the module's docstring)."""

    __slots__ = ()

    def __init__(self, schedule_render: Callable[[], None]) -> None:
        # ReactPy's __init__, less the render guard (``_render_access`` stays unset); the
        # effect lists are made at the first effect (``_effect_tasks`` also holds the parked
        # effects' coroutines).
        self._context_providers: dict[Any, Any] = _NO_PROVIDERS
        self._schedule_render_callback = schedule_render
        self._scheduled_render = False
        self._rendered_atleast_once = False
        self._current_state_index = 0
        self._state: tuple[Any, ...] = ()
        self._effect_funcs: list[EffectFunc] | None = None  # type: ignore[assignment]
        self._effect_tasks: list[asyncio.Task[None] | Parked] | None = None  # type: ignore[assignment]
        self._effect_stops: list[asyncio.Event] | None = None  # type: ignore[assignment]

    def start_render(self, component: ComponentType, parent: LiveHook | None) -> None:
        """Make this the current hook for ``component``'s render; ``parent`` is the hook of
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
        del self.component

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
        """The update was rendered: start the effects it added (parked, or ReactPy's tasks)."""
        added = self._effect_funcs
        if not added:
            return
        self._effect_funcs = None
        stop: asyncio.Event | None = None
        for effect in added:
            if getattr(effect, "__code__", None) is _USE_EFFECT_CODE:
                self._park(effect(_PARKED))  # type: ignore[arg-type]
            else:
                if stop is None:
                    stop = asyncio.Event()
                    self._keep_stop(stop)
                self._keep(asyncio.create_task(effect(stop)))

    def _park(self, effect: Parked) -> None:
        """Run a ``use_effect`` effect up to its stop; keep it there (no task) until unmount."""
        try:
            parked = effect.send(None)
        except StopIteration:
            return
        except Exception:
            logger.exception("Error in effect")
            return
        if parked is not _PARKED:  # nocov: ReactPy's use_effect changed (reactpy_internals.py)
            effect.close()
            raise RuntimeError(f"an effect of ReactPy's use_effect awaited {parked!r}, not its stop")
        self._keep(effect)

    def _keep(self, effect: asyncio.Task[None] | Parked) -> None:
        if self._effect_tasks is None:
            self._effect_tasks = [effect]
        else:
            self._effect_tasks.append(effect)

    def _keep_stop(self, stop: asyncio.Event) -> None:
        if self._effect_stops is None:
            self._effect_stops = [stop]
        else:
            self._effect_stops.append(stop)

    async def affect_component_will_unmount(self) -> None:
        """The component goes: run the clean-ups of its parked effects at once, in order (no
        await: a page cancelled while it closes still runs them all), then stop and await the
        effects that run in tasks, as ReactPy does."""
        effects, stops = self._effect_tasks, self._effect_stops
        self._effect_tasks = self._effect_stops = None
        if not effects:
            return
        tasks: list[asyncio.Task[None]] = []
        for effect in effects:
            if isinstance(effect, asyncio.Future):
                tasks.append(effect)
            else:
                _resume(effect)
        if not tasks:
            return
        for stop in stops or ():
            stop.set()
        try:
            await asyncio.gather(*tasks)
        except Exception:
            logger.exception("Error in effect")


def _resume(parked: Parked) -> None:
    """Let a parked effect past its stop: it runs its clean-up and ends."""
    try:
        parked.send(None)
    except StopIteration:
        return
    except Exception:
        logger.exception("Error in effect")
        return
    parked.close()  # nocov: it awaited again after its stop (see _park)
