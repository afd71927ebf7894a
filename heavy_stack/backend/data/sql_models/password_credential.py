from __future__ import annotations

from datetime import datetime

from sqlalchemy import Uuid
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel, created_at_field
from heavy_stack.shared_models.user import UserId


class SQLPasswordCredential(HeavyModel, table=True):
    """A row of ``password_credentials``: the argon2 hash of one user's password.

    Kept out of ``users`` so that loading a user never loads a hash, and so another way of
    signing in (a passkey, a provider) is another table beside this one.
    """

    __tablename__ = "password_credentials"

    user_id: UserId = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE", sa_type=Uuid)
    # argon2's encoded form holds its parameters and salt: "$argon2id$v=19$m=...$salt$hash".
    password_hash: str = Field(max_length=255)
    updated_at: datetime = created_at_field()
