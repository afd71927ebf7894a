"""The app's own ReactPy contexts, provided by the app root (the framework's are in ``heavy``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reactpy import create_context
from reactpy.types import Context

from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.shared_models.user import User


@dataclass(frozen=True)
class CurrentVisitor:
    """This connection's visitor, and how handlers replace it (on sign-out, or a session ending)."""

    visitor: Visitor
    replace: Callable[[Visitor], None]


# Who is connected: client address, binding cookie, and session if signed in.
VisitorContext: Context[CurrentVisitor | None] = create_context(None)

# The signed-in user of this connection, or None.
CurrentUserContext: Context[User | None] = create_context(None)
