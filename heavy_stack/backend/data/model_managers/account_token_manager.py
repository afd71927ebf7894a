from __future__ import annotations

from datetime import datetime, timedelta

from heavy import Manager, TargetT, utc_now
from sqlmodel import col

from heavy_stack.backend.data.repositories.account_token_repository import AccountTokenRepository
from heavy_stack.backend.data.sql_models.account_token import SQLAccountToken
from heavy_stack.shared_models.account_token import TokenPurpose, TokenState
from heavy_stack.shared_models.user import UserId

# A used or expired token's row is kept this long after it expires (to say "already used").
KEPT_AFTER_EXPIRY = timedelta(days=7)


class AccountTokenManager(Manager[SQLAccountToken, TargetT]):
    """Links sent by e-mail, by the digest of their token: single-use, and expiring."""

    repository = AccountTokenRepository()

    async def issue(
        self, token_digest: str, user_id: UserId, purpose: TokenPurpose, email: str, lifetime: timedelta
    ) -> TargetT:
        row = SQLAccountToken(
            token_digest=token_digest,
            user_id=user_id,
            purpose=purpose.value,
            email=email,
            expires_at=utc_now() + lifetime,
        )
        return self.output(await self.repository.add(row))

    async def state(self, token_digest: str, purpose: TokenPurpose) -> TokenState:
        """Whether the token would work now, and if not, why."""
        row = await self.repository.get_by(
            SQLAccountToken.token_digest == token_digest, SQLAccountToken.purpose == purpose.value
        )
        return _state(row, utc_now())

    async def use(self, token_digest: str, purpose: TokenPurpose) -> tuple[TargetT | None, TokenState]:
        """Spend the token: its row and ``VALID``, or None and why it cannot be spent."""
        used = await self.repository.use(token_digest, purpose.value, utc_now())
        if used is not None:
            return self.output(used), TokenState.VALID
        return None, await self.state(token_digest, purpose)

    async def withdraw_all(self, user_id: UserId, purpose: TokenPurpose) -> int:
        """Make every unused token of ``purpose`` of the user unusable (e.g. after a reset)."""
        return await self.repository.delete_where(
            SQLAccountToken.user_id == user_id,
            SQLAccountToken.purpose == purpose.value,
            col(SQLAccountToken.used_at).is_(None),
        )

    async def delete_expired(self) -> int:
        return await self.repository.delete_where(
            col(SQLAccountToken.expires_at) <= utc_now() - KEPT_AFTER_EXPIRY
        )


def _state(row: SQLAccountToken | None, now: datetime) -> TokenState:
    if row is None:
        return TokenState.UNKNOWN
    if row.used_at is not None:
        return TokenState.USED
    if row.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.VALID
