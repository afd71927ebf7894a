"""A user's session as the app sees one: who, what for, until when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from heavy_stack.shared_models.user import UserId


class SessionPurpose(StrEnum):
    SIGNED_IN = "signed_in"
    # A short-lived, single-use ticket the browser trades for a session cookie.
    HANDOFF = "handoff"


class UserSession(BaseModel):
    """A stored session. The token that names it is known only to its browser."""

    model_config = ConfigDict(frozen=True)

    user_id: UserId
    purpose: SessionPurpose
    expires_at: datetime
    browser_digest: str | None = None
