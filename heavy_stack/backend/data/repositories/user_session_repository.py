from __future__ import annotations

from datetime import datetime

from heavy import Repository
from sqlalchemy import delete, update
from sqlmodel import col

from heavy_stack.backend.data.sql_models.user_session import SQLUserSession


class UserSessionRepository(Repository[SQLUserSession, str]):
    """``user_sessions`` rows, by token digest: the base's reads and deletes, ``take`` and ``seen``."""

    async def seen(self, token_digest: str, when: datetime) -> None:
        statement = (
            update(SQLUserSession)
            .where(col(SQLUserSession.token_digest) == token_digest)
            .values(last_seen_at=when)
        )
        await self.db_session.exec(statement)

    async def take(self, token_digest: str) -> SQLUserSession | None:
        """Delete the row and return it: of two sessions taking the same row, one gets it."""
        statement = (
            delete(SQLUserSession)
            .where(col(SQLUserSession.token_digest) == token_digest)
            .returning(SQLUserSession)
        )
        return (await self.db_session.exec(statement)).scalars().first()
