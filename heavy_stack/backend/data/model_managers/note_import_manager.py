from __future__ import annotations

from collections.abc import Sequence

from heavy import Manager, Repository, TargetT
from sqlmodel import col

from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.backend.data.sql_models.note_import import SQLNoteImport
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.note_import import NoteImport
from heavy_stack.shared_models.user import UserId


class NoteImportManager(Manager[SQLNoteImport, TargetT]):
    """Which uploads became which notes, per owner: an upload id counts once."""

    notes = Repository(SQLNote)

    async def record(self, owner_id: UserId, upload_id: str, note_id: NoteId, file_name: str) -> None:
        """Remember that this upload became this note (fails on the key if it already did)."""
        row = SQLNoteImport(owner_id=owner_id, upload_id=upload_id, note_id=note_id, file_name=file_name)
        await self.repository.add(row)

    async def find_owned(self, owner_id: UserId, upload_ids: Sequence[str]) -> list[NoteImport]:
        """The owner's imports among ``upload_ids``, each with its note's current title."""
        if not upload_ids:
            return []
        rows = await self.repository.list(
            SQLNoteImport.owner_id == owner_id, col(SQLNoteImport.upload_id).in_(upload_ids), limit=None
        )
        if not rows:
            return []
        titles = {
            note.id: note.title
            for note in await self.notes.list(
                col(SQLNote.id).in_([row.note_id for row in rows]), SQLNote.owner_id == owner_id, limit=None
            )
        }
        return [
            NoteImport(
                upload_id=row.upload_id,
                file_name=row.file_name,
                note_id=row.note_id,
                title=titles[row.note_id],
            )
            for row in rows
            if row.note_id in titles
        ]
