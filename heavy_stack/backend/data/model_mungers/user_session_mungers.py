from __future__ import annotations

from heavy import ModelMunger

from heavy_stack.backend.data.sql_models.user_session import SQLUserSession
from heavy_stack.shared_models.user_session import SessionPurpose, UserSession


class UserSessionMunger(ModelMunger[UserSession, SQLUserSession]):
    def to_model(self, source: SQLUserSession) -> UserSession:
        return UserSession(
            user_id=source.user_id,
            purpose=SessionPurpose(source.purpose),
            expires_at=source.expires_at,
            browser_digest=source.browser_digest,
        )
