"""``HeavyContext``: what every async heavy handler and effect receives.

This is the place to add project-wide values (a cache, the user's decryption keys...): add a
field to ``HeavyContext`` and fill it in ``open_heavy_context``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.db_connection import Database, SessionMaker
from heavy_stack.frontend.app_context import AppServices
from heavy_stack.shared_models.user import User, UserId


@dataclass(frozen=True)
class HeavyContext:
    """The database session of this call, with the rest of the request's world."""

    db_session: AsyncSession
    database: Database
    user: User | None

    @property
    def sessionmaker(self) -> SessionMaker:
        """For work that needs sessions of its own (e.g. a long-running effect)."""
        return self.database.sessionmaker

    @property
    def user_id(self) -> UserId | None:
        return None if self.user is None else self.user.id


@asynccontextmanager
async def open_heavy_context(services: AppServices, user: User | None) -> AsyncIterator[HeavyContext]:
    """One transaction: committed if the block returns, rolled back if it raises, then closed."""
    async with services.database.transaction() as session:
        yield HeavyContext(db_session=session, database=services.database, user=user)
