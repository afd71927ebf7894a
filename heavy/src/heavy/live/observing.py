"""Who watches live layouts (``LiveLayout.observer``): the telemetry, and a wrapper around it.

A layout has one observer slot and two possible watchers: the framework's telemetry (figures
for the dashboard, OpenTelemetry export; ``heavy.telemetry``) and the stream recorder, which
must know which event each update answers (``heavy.stream.recorder``). The recorder's observer
is a ``WrappingObserver``: it passes every step on to whatever else watches (``inner``) and
stays outermost, whichever of the two started first; ``set_layout_observer`` puts the
telemetry's inside it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

from heavy.events import Declared
from heavy.live.layout import LayoutObserver, LiveLayout, SendUpdate

T = TypeVar("T")


class WrappingObserver:
    """A layout observer that passes each step on to ``inner`` (another observer, or none).
    Subclasses add their own work around a step."""

    def __init__(self, inner: LayoutObserver | None = None) -> None:
        self.inner = inner

    def event(self, declared: Declared, call: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        return call if self.inner is None else self.inner.event(declared, call)

    def cause(self) -> object | None:
        return None if self.inner is None else self.inner.cause()

    def effect(self, component: str, function: str, work: Awaitable[T]) -> Awaitable[T]:
        return work if self.inner is None else self.inner.effect(component, function, work)

    async def update(self, layout: LiveLayout, send: SendUpdate) -> None:
        if self.inner is not None:
            await self.inner.update(layout, send)
            return
        state, _cause = await layout.next_render()
        await send(await layout.render_component(state))


def set_layout_observer(observer: LayoutObserver | None) -> None:
    """Make ``observer`` what watches live layouts (None: nothing), inside the wrapping
    observer if one is set."""
    current = LiveLayout.observer
    if isinstance(current, WrappingObserver):
        current.inner = observer
    else:
        LiveLayout.observer = observer


def wrap_layout_observer(wrapper: WrappingObserver) -> None:
    """Put ``wrapper`` around what watches live layouts now (layouts opened from now on)."""
    wrapper.inner = LiveLayout.observer
    LiveLayout.observer = wrapper


def unwrap_layout_observer(wrapper: WrappingObserver) -> None:
    """Take ``wrapper`` away again; what it wrapped watches on."""
    if LiveLayout.observer is wrapper:
        LiveLayout.observer = wrapper.inner
