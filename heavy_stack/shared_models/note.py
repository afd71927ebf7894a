"""The note as the pages see one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NewType

from pydantic import BaseModel, ConfigDict

from heavy_stack.shared_models.user import UserId

NoteId = NewType("NoteId", uuid.UUID)

# What a note may hold: the pages' inputs, the manager's checks and the table share these.
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 10_000


class Note(BaseModel):
    """A note: a title and some text, written and last edited at some time."""

    model_config = ConfigDict(frozen=True)

    id: NoteId
    title: str
    body: str
    written: datetime
    last_edited: datetime


class RelatedNote(BaseModel):
    """Another note of the same person, and how close its text is (1 = the same direction)."""

    model_config = ConfigDict(frozen=True)

    id: NoteId
    title: str
    similarity: float


class NoteVersion(BaseModel):
    """One saved version of a note's text: what an embedding is made from and records."""

    model_config = ConfigDict(frozen=True)

    id: NoteId
    owner_id: UserId
    title: str
    body: str
    saved_at: datetime
