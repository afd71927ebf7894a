"""The note as the pages see one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NewType

from pydantic import BaseModel, ConfigDict

NoteId = NewType("NoteId", uuid.UUID)


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
