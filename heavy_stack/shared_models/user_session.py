"""A user's session as the app sees one: who, what for, until when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from heavy_stack.shared_models.user import UserId

# The longest device description kept ("Chrome Mobile 131 (Android 14)").
DEVICE_MAX_LENGTH = 100


class SessionPurpose(StrEnum):
    SIGNED_IN = "signed_in"
    # A short-lived, single-use ticket the browser trades for a session cookie.
    HANDOFF = "handoff"
    # Marks, for a couple of minutes, of a session its owner ended from another browser, or that
    # a password reset ended: they sign nobody in, and tell the session's live pages why.
    ENDED = "ended"
    RESET = "reset"


ENDED_PURPOSES = frozenset({SessionPurpose.ENDED, SessionPurpose.RESET})


class UserSession(BaseModel):
    """A stored session. The token that names it is known only to its browser."""

    model_config = ConfigDict(frozen=True)

    user_id: UserId
    purpose: SessionPurpose
    expires_at: datetime
    browser_digest: str | None = None
    device: str = ""
    created_at: datetime | None = None
    last_seen_at: datetime | None = None


class OpenSession(BaseModel):
    """A signed-in session as its owner sees it on the sessions page.

    ``key`` names it to the server's handlers only (the digest of its token, which signs
    nobody in); pages never put it in the browser.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    device: str
    signed_in_at: datetime | None
    last_seen_at: datetime | None
    is_this_browser: bool = False
