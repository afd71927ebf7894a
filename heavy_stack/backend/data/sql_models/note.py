from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Uuid
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel, created_at_field
from heavy_stack.shared_models.note import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, NoteId
from heavy_stack.shared_models.user import UserId


class SQLNote(HeavyModel, table=True):
    """A row of ``notes``: a user's note. Its embedding lives in the vector database."""

    __tablename__ = "notes"

    # UUIDs made in Python: portable to CockroachDB, where serial ids are not sequential.
    id: NoteId = Field(default_factory=lambda: NoteId(uuid.uuid4()), primary_key=True, sa_type=Uuid)
    owner_id: UserId = Field(foreign_key="users.id", ondelete="CASCADE", index=True, sa_type=Uuid)
    title: str = Field(max_length=TITLE_MAX_LENGTH)
    body: str = Field(max_length=BODY_MAX_LENGTH)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    # True from each save until the vector database has this text's embedding: written in the
    # same transaction as the note, so a note saved while the vector database is down is
    # embedded later (see backend/services/note_search.py).
    embedding_pending: bool = Field(default=True, index=True)
