from __future__ import annotations

from heavy_stack.backend.data.model_mungers.base import IdentityMunger, ModelMunger
from heavy_stack.backend.data.sql_models.user import SQLUser
from heavy_stack.shared_models.user import User


class UserMunger(ModelMunger[User, SQLUser]):
    def to_model(self, source: SQLUser) -> User:
        return User(
            id=source.id,
            email=source.email,
            display_name=source.display_name,
            member_since=source.created_at.date(),
        )


class SQLUserMunger(IdentityMunger[SQLUser]):
    pass
