"""The user as the pages see one."""

from __future__ import annotations

import uuid
from datetime import date
from typing import NewType

from pydantic import BaseModel, ConfigDict, EmailStr

UserId = NewType("UserId", uuid.UUID)


class User(BaseModel):
    """A person using the app."""

    model_config = ConfigDict(frozen=True)

    id: UserId
    email: EmailStr
    display_name: str
    member_since: date
    email_verified: bool = False
