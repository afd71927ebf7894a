from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from heavy import Repository
from sqlmodel import col, update

from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.shared_models.note import NoteId


class NoteRepository(Repository[SQLNote, NoteId]):
    """``notes`` rows: the base's reads (``NoteManager`` adds the owner to every one a page can
    reach) and the embedding flag's bulk updates."""

    async def mark_pending(self, note_ids: Sequence[NoteId]) -> list[NoteId]:
        """Set the pending flag on these notes; the ids that exist."""
        statement = (
            update(SQLNote)
            .where(col(SQLNote.id).in_(note_ids))
            .values(embedding_pending=True)
            .returning(col(SQLNote.id))
        )
        return list((await self.db_session.exec(statement)).scalars())

    async def mark_embedded(self, note_id: NoteId, updated_at: datetime) -> None:
        """Clear the pending flag, unless the note was saved again since ``updated_at``."""
        statement = (
            update(SQLNote)
            .where(col(SQLNote.id) == note_id, col(SQLNote.updated_at) == updated_at)
            .values(embedding_pending=False)
        )
        await self.db_session.exec(statement)
