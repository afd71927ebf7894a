from __future__ import annotations

from heavy import ModelMunger

from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.shared_models.user import User


class UserMunger(ModelMunger[User, SQLUser]):
    """``member_since`` is the day of ``created_at``: the one field not read by its name."""

    def to_model(self, source: SQLUser) -> User:
        # Not validated again (an EmailStr check is most of a read's Python cost): the values
        # come from the row, whose columns fix their types, and the e-mail and name were
        # checked when the row was written (``UserManager`` and ``AccountManager``).
        return User.model_construct(
            id=source.id,
            email=source.email,
            display_name=source.display_name,
            member_since=source.created_at.date(),
            email_verified=source.email_verified_at is not None,
        )
