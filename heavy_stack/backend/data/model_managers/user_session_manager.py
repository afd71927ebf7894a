from __future__ import annotations

from datetime import datetime

from heavy import Manager, TargetT, utc_now
from sqlmodel import col

from heavy_stack.backend.data.repositories.user_session_repository import UserSessionRepository
from heavy_stack.backend.data.sql_models.user_session import SQLUserSession
from heavy_stack.shared_models.user import UserId
from heavy_stack.shared_models.user_session import SessionPurpose


class UserSessionManager(Manager[SQLUserSession, TargetT]):
    """Stored sessions, named by the digest of their token; expired ones do not exist."""

    repository = UserSessionRepository()

    async def start(
        self,
        token_digest: str,
        user_id: UserId,
        purpose: SessionPurpose,
        expires_at: datetime,
        browser_digest: str | None = None,
    ) -> TargetT:
        row = SQLUserSession(
            token_digest=token_digest,
            user_id=user_id,
            purpose=purpose.value,
            expires_at=expires_at,
            browser_digest=browser_digest,
        )
        return self.output(await self.repository.add(row))

    async def get(self, token_digest: str) -> TargetT | None:
        unexpired = col(SQLUserSession.expires_at) > utc_now()
        return self.output_or_none(
            await self.repository.get_by(SQLUserSession.token_digest == token_digest, unexpired)
        )

    async def take(self, token_digest: str) -> TargetT | None:
        """Remove the session and return it if it had not expired: it can be taken once."""
        row = await self.repository.take(token_digest)
        if row is None or row.expires_at <= utc_now():
            return None
        return self.output(row)

    async def end(self, token_digest: str) -> None:
        await self.repository.delete_where(SQLUserSession.token_digest == token_digest)

    async def end_all(self, user_id: UserId) -> None:
        await self.repository.delete_where(SQLUserSession.user_id == user_id)

    async def delete_expired(self) -> int:
        return await self.repository.delete_where(col(SQLUserSession.expires_at) <= utc_now())
