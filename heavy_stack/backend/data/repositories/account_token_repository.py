from __future__ import annotations

from datetime import datetime

from heavy import Repository
from sqlalchemy import update
from sqlmodel import col

from heavy_stack.backend.data.sql_models.account_token import SQLAccountToken


class AccountTokenRepository(Repository[SQLAccountToken, str]):
    """``account_tokens`` rows, by token digest: the base's reads and deletes, and ``use``."""

    async def use(self, token_digest: str, purpose: str, now: datetime) -> SQLAccountToken | None:
        """Mark an unused, unexpired token used and return it: of two tries at once, one gets it."""
        statement = (
            update(SQLAccountToken)
            .where(
                col(SQLAccountToken.token_digest) == token_digest,
                col(SQLAccountToken.purpose) == purpose,
                col(SQLAccountToken.used_at).is_(None),
                col(SQLAccountToken.expires_at) > now,
            )
            .values(used_at=now)
            .returning(SQLAccountToken)
        )
        return (await self.db_session.exec(statement)).scalars().first()
