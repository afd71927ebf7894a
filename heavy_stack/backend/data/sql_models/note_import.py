from __future__ import annotations

from datetime import datetime

from sqlalchemy import Uuid
from sqlmodel import Field

from heavy_stack.backend.data.sql_models.base import HeavyModel, created_at_field
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.note_import import UPLOAD_ID_MAX_LENGTH
from heavy_stack.shared_models.user import UserId


class SQLNoteImport(HeavyModel, table=True):
    """A row of ``note_imports``: a file imported as a note, by the id its browser gave the upload.

    The key (owner, upload id) is what makes an upload count once: a retried upload whose
    first try was stored finds this row (or, racing it, fails on the key and is rolled back).
    Deleting the note deletes the row.
    """

    __tablename__ = "note_imports"

    owner_id: UserId = Field(foreign_key="users.id", ondelete="CASCADE", primary_key=True, sa_type=Uuid)
    upload_id: str = Field(primary_key=True, max_length=UPLOAD_ID_MAX_LENGTH)
    note_id: NoteId = Field(foreign_key="notes.id", ondelete="CASCADE", index=True, sa_type=Uuid)
    file_name: str = Field(max_length=1000)
    created_at: datetime = created_at_field()
