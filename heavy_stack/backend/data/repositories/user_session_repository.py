from __future__ import annotations

from datetime import datetime

from heavy import SQLRepositoryBase
from sqlalchemy import delete
from sqlmodel import col, select

from heavy_stack.backend.data.sql_models.user_session import SQLUserSession
from heavy_stack.shared_models.user import UserId


class UserSessionRepository(SQLRepositoryBase[SQLUserSession, str]):
    """``user_sessions`` rows, by token digest."""

    async def get_unexpired(self, token_digest: str, now: datetime) -> SQLUserSession | None:
        statement = select(SQLUserSession).where(
            SQLUserSession.token_digest == token_digest, col(SQLUserSession.expires_at) > now
        )
        return (await self.db_session.exec(statement)).first()

    async def take(self, token_digest: str) -> SQLUserSession | None:
        """Delete the row and return it: of two sessions taking the same row, one gets it."""
        statement = (
            delete(SQLUserSession)
            .where(col(SQLUserSession.token_digest) == token_digest)
            .returning(SQLUserSession)
        )
        return (await self.db_session.exec(statement)).scalars().first()

    async def delete_by_digest(self, token_digest: str) -> None:
        await self.db_session.exec(
            delete(SQLUserSession).where(col(SQLUserSession.token_digest) == token_digest)
        )

    async def delete_for_user(self, user_id: UserId) -> None:
        await self.db_session.exec(delete(SQLUserSession).where(col(SQLUserSession.user_id) == user_id))

    async def delete_expired(self, now: datetime) -> int:
        result = await self.db_session.exec(
            delete(SQLUserSession).where(col(SQLUserSession.expires_at) <= now)
        )
        return int(getattr(result, "rowcount", 0))
