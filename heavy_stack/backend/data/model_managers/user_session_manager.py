from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from heavy import Manager, TargetT, utc_now
from sqlmodel import col

from heavy_stack.backend.data.repositories.user_session_repository import UserSessionRepository
from heavy_stack.backend.data.sql_models.user_session import SQLUserSession
from heavy_stack.shared_models.user import UserId
from heavy_stack.shared_models.user_session import ENDED_PURPOSES, SessionPurpose


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
        device: str = "",
    ) -> TargetT:
        row = SQLUserSession(
            token_digest=token_digest,
            user_id=user_id,
            purpose=purpose.value,
            expires_at=expires_at,
            browser_digest=browser_digest,
            device=device,
            last_seen_at=utc_now(),
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

    async def list_signed_in(self, user_id: UserId) -> list[tuple[str, TargetT]]:
        """The user's unexpired signed-in sessions with their digests, most recently used first."""
        rows = await self.repository.list(
            SQLUserSession.user_id == user_id,
            SQLUserSession.purpose == SessionPurpose.SIGNED_IN.value,
            col(SQLUserSession.expires_at) > utc_now(),
            order_by=col(SQLUserSession.last_seen_at).desc().nulls_last(),
        )
        return [(row.token_digest, self.output(row)) for row in rows]

    async def mark_ended(self, token_digest: str, purpose: SessionPurpose, until: datetime) -> None:
        """Turn a signed-in session into a mark that it ended, and why, kept until ``until``."""
        row = await self.repository.get(token_digest)
        if row is not None and row.purpose == SessionPurpose.SIGNED_IN.value:
            await self.repository.update(row, purpose=purpose.value, expires_at=until)

    async def ended_among(self, token_digests: Collection[str]) -> dict[str, SessionPurpose]:
        """Those of ``token_digests`` marked ended, and why."""
        if not token_digests:
            return {}
        rows = await self.repository.list(
            col(SQLUserSession.token_digest).in_(list(token_digests)),
            col(SQLUserSession.purpose).in_([purpose.value for purpose in ENDED_PURPOSES]),
            col(SQLUserSession.expires_at) > utc_now(),
            limit=None,
        )
        return {row.token_digest: SessionPurpose(row.purpose) for row in rows}

    async def seen(self, token_digest: str, when: datetime) -> None:
        """Note that the session was used at ``when``."""
        await self.repository.seen(token_digest, when)

    async def end(self, token_digest: str) -> None:
        await self.repository.delete_where(SQLUserSession.token_digest == token_digest)

    async def end_all(self, user_id: UserId) -> None:
        await self.repository.delete_where(SQLUserSession.user_id == user_id)

    async def delete_expired(self) -> int:
        return await self.repository.delete_where(col(SQLUserSession.expires_at) <= utc_now())
