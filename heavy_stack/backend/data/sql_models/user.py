from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Uuid
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel, created_at_field
from heavy_stack.shared_models.user import UserId

DISPLAY_NAME_MAX_LENGTH = 120


class SQLUser(HeavyModel, table=True):
    """A row of ``users``."""

    __tablename__ = "users"

    # UUIDs made in Python: portable to CockroachDB, where serial ids are not sequential.
    id: UserId = Field(default_factory=lambda: UserId(uuid.uuid4()), primary_key=True, sa_type=Uuid)
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=DISPLAY_NAME_MAX_LENGTH)
    created_at: datetime = created_at_field()
    # When the person opened the verification link sent to ``email``; None until then.
    email_verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
