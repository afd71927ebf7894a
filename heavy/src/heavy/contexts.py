"""The ReactPy contexts the heavy hooks read, and how a root component provides them.

A product's root component calls, during its render::

    provide_services(services, context=partial(AppContext, connection=...))
    provide_context(NoticeContext, show_notice)   # where failed writes are reported

``provide_services`` tells every async heavy handler and effect below which services their
units of work use and which ``HeavyContext`` (sub)class they receive; ``NoticeContext`` is the
page's notice banner, where the hooks report a unit of work that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from heavy.heavy_context import ContextMaker, HeavyContext, Services
from heavy.live.hooks import current_hook
from reactpy import create_context
from reactpy.types import Context

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ProvidedServices:
    """What async heavy functions below get: the ``services`` their units of work use, and
    ``context``, what makes their ``HeavyContext`` (the class itself, or a partial of it)."""

    services: Services
    context: ContextMaker[HeavyContext[Any]] = HeavyContext


ServicesContext: Context[ProvidedServices | None] = create_context(None)

# Shows a message in the page's notice banner (None clears it). The heavy hooks call it when a
# unit of work fails: pages do not report database failures themselves.
ShowNotice = Callable[[str | None], None]
NoticeContext: Context[ShowNotice | None] = create_context(None)


def provide_services(services: Services, *, context: ContextMaker[HeavyContext[Any]] = HeavyContext) -> None:
    """Provide ``services`` (and the ``context`` their units get) to what the caller renders."""
    provide_context(ServicesContext, ProvidedServices(services, context))


@dataclass(frozen=True, slots=True)
class _Provided(Generic[T]):
    """What ReactPy's ``use_context`` reads from a provider: its context and its value."""

    type: Context[T]
    value: T


def provide_context(context: Context[T], value: T) -> None:
    """Provide ``context`` to everything the calling component renders, with no provider element.

    Like rendering ``context(children, value=value)``, but a provider element is a component
    of its own: one more life-cycle hook and one more level of fragments for each context,
    held by every connection. Called during the render, it sets the value on the caller's own
    hook, which ReactPy copies into every hook below it.
    """
    current_hook().set_context_provider(cast(Any, _Provided(context, value)))
