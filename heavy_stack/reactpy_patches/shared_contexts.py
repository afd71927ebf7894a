"""Let a component's hook share its parent's context providers instead of copying them.

ReactPy 1.1's ``LifeCycleHook.set_current`` (run before every render of every component)
copies the parent hook's whole ``_context_providers`` dict into the component's own, so that
``use_context`` finds a provider set anywhere above it. Every mounted component of a page
thus holds a dict of every context provided above it: the app root provides six and
ReactPy's connection and the router add theirs, about 280 bytes per component for as long as
the page is open, though almost no component provides a context of its own.

The replacement copies on write: a hook that has provided nothing refers to its parent's dict
(the same providers the copy would hold, looked up the same way), even a dict its parent owns;
the first
``set_context_provider`` gives the hook a dict of its own, seeded from the one it referred to,
and from then on every render merges the parent's providers into it as ReactPy does.
``install()`` swaps the two methods (idempotent).
"""

from __future__ import annotations

from typing import Any
from weakref import ref as weakref

import reactpy.core._life_cycle_hook
from reactpy.core._life_cycle_hook import LifeCycleHook
from reactpy.core.types import ContextProviderType

_original_set_current = LifeCycleHook.set_current
_original_set_context_provider = LifeCycleHook.set_context_provider
# Typed loosely: task_local_hooks replaces the hook stack with its own kind.
_life_cycle_hook: Any = reactpy.core._life_cycle_hook


class OwnProviders(dict[Any, Any]):
    """The providers dict of the hook that provided a context (children borrow it as it is)."""

    __slots__ = ("owner",)

    def __init__(self, owner: LifeCycleHook, providers: dict[Any, Any]) -> None:
        super().__init__(providers)
        self.owner = weakref(owner)


def _owns(hook: LifeCycleHook) -> bool:
    providers = hook._context_providers
    return type(providers) is OwnProviders and providers.owner() is hook


def set_current(self: LifeCycleHook) -> None:
    """``LifeCycleHook.set_current``: borrow the parent's providers unless this hook has its own."""
    hook_stack = _life_cycle_hook._HOOK_STATE.get()  # at call time: task_local_hooks swaps it
    if hook_stack:
        parents = hook_stack[-1]._context_providers
        if _owns(self):
            self._context_providers.update(parents)  # ReactPy's merge, for hooks that provide
        else:
            self._context_providers = parents
    hook_stack.append(self)


def set_context_provider(self: LifeCycleHook, provider: ContextProviderType[Any]) -> None:
    """``LifeCycleHook.set_context_provider``: make the hook's own dict first if it borrows one."""
    if not _owns(self):
        self._context_providers = OwnProviders(self, self._context_providers)
    self._context_providers[provider.type] = provider


def install() -> None:
    """Put the sharing methods in place (idempotent)."""
    reactpy.core._life_cycle_hook.LifeCycleHook.set_current = set_current  # type: ignore[method-assign]
    reactpy.core._life_cycle_hook.LifeCycleHook.set_context_provider = set_context_provider  # type: ignore[method-assign]


def is_installed() -> bool:
    """Tell whether ``install()`` has run in this process."""
    return (
        LifeCycleHook.set_current is set_current
        and LifeCycleHook.set_context_provider is set_context_provider
    )


def originals() -> tuple[Any, Any]:
    """ReactPy's own ``set_current`` and ``set_context_provider``."""
    return _original_set_current, _original_set_context_provider
