"""ReactPy contexts the app root provides to every page."""

from __future__ import annotations

from dataclasses import dataclass

from reactpy import create_context
from reactpy.types import Context

from heavy_stack.backend.data.db_connection import Database
from heavy_stack.settings import Settings
from heavy_stack.shared_models.user import User


@dataclass(frozen=True)
class AppServices:
    """What the server opened at start-up and handlers need: the database and settings."""

    database: Database
    settings: Settings


AppServicesContext: Context[AppServices | None] = create_context(None)

# The signed-in user of this connection, or None.
CurrentUserContext: Context[User | None] = create_context(None)
