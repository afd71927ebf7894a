from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Uuid
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel, created_at_field
from heavy_stack.shared_models.user import UserId
from heavy_stack.shared_models.user_session import DEVICE_MAX_LENGTH


class SQLUserSession(HeavyModel, table=True):
    """A row of ``user_sessions``: a signed-in session, or a pending sign-in hand-off.

    The primary key is a keyed digest of the random token the browser holds, never the token:
    whoever reads this table cannot use what it finds.
    """

    __tablename__ = "user_sessions"

    token_digest: str = Field(primary_key=True, max_length=64)
    user_id: UserId = Field(foreign_key="users.id", ondelete="CASCADE", index=True, sa_type=Uuid)
    # A SessionPurpose value, stored as text: portable, and new purposes need no migration.
    purpose: str = Field(max_length=16)
    # Hand-offs only: the digest of the browser-binding cookie of the browser that signed in.
    browser_digest: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    # What the sessions page shows: the browser and system the session signed in from (from its
    # User-Agent, "Firefox 133 on Windows"), and when it was last used (updated at most every
    # few minutes).
    device: str = Field(default="", max_length=DEVICE_MAX_LENGTH)
    last_seen_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
