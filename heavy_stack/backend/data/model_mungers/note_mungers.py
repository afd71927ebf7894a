from __future__ import annotations

from heavy import ModelMunger

from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.shared_models.note import Note, NoteVersion


class NoteMunger(ModelMunger[Note, SQLNote]):
    def to_model(self, source: SQLNote) -> Note:
        return Note(
            id=source.id,
            title=source.title,
            body=source.body,
            written=source.created_at,
            last_edited=source.updated_at,
        )


class NoteVersionMunger(ModelMunger[NoteVersion, SQLNote]):
    def to_model(self, source: SQLNote) -> NoteVersion:
        return NoteVersion(
            id=source.id,
            owner_id=source.owner_id,
            title=source.title,
            body=source.body,
            saved_at=source.updated_at,
        )
