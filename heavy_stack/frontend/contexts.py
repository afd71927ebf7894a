"""ReactPy contexts the app root provides to every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from reactpy import create_context
from reactpy.core._life_cycle_hook import current_hook
from reactpy.types import Context

from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.shared_models.user import User


@dataclass(frozen=True)
class CurrentVisitor:
    """This connection's visitor, and how handlers replace it (on sign-out, or a session ending)."""

    visitor: Visitor
    replace: Callable[[Visitor], None]


AppServicesContext: Context[AppServices | None] = create_context(None)

# Who is connected: client address, binding cookie, and session if signed in.
VisitorContext: Context[CurrentVisitor | None] = create_context(None)

# The signed-in user of this connection, or None.
CurrentUserContext: Context[User | None] = create_context(None)

# Shows a message in the page's notice banner (None clears it). The heavy wrappers call it when
# a handler's transaction fails: pages do not report database failures themselves.
ShowNotice = Callable[[str | None], None]
NoticeContext: Context[ShowNotice | None] = create_context(None)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Provided(Generic[T]):
    """What ReactPy's ``use_context`` reads from a provider: its context and its value."""

    type: Context[T]
    value: T


def provide_context(context: Context[T], value: T) -> None:
    """Provide ``context`` to everything the calling component renders, with no provider element.

    Like rendering ``context(children, value=value)``, but a provider element is a component
    of its own: one more life-cycle hook and one more level of fragments for each context,
    held by every connection (the app root provides six). Called during the render, it sets
    the value on the caller's own hook, which ReactPy copies into every hook below it.
    """
    current_hook().set_context_provider(cast(Any, _Provided(context, value)))
