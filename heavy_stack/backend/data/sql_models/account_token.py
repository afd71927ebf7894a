from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Uuid
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel, created_at_field
from heavy_stack.shared_models.user import UserId


class SQLAccountToken(HeavyModel, table=True):
    """A row of ``account_tokens``: a link sent by e-mail (password reset, address verification).

    As with sessions, the primary key is a keyed digest of the random token in the link, never
    the token. A used token keeps its row (``used_at``) until it expires, so that a second
    click is told "already used" rather than "unknown".
    """

    __tablename__ = "account_tokens"

    token_digest: str = Field(primary_key=True, max_length=64)
    user_id: UserId = Field(foreign_key="users.id", ondelete="CASCADE", index=True, sa_type=Uuid)
    # A TokenPurpose value, stored as text: new purposes need no migration.
    purpose: str = Field(max_length=32)
    # The address the link was sent to: a verification counts for that address only.
    email: str = Field(max_length=320)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
