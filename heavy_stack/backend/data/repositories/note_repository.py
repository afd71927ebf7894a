from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from heavy import SQLRepositoryBase
from sqlmodel import col, select, update

from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.user import UserId


class NoteRepository(SQLRepositoryBase[SQLNote, NoteId]):
    """``notes`` rows. Every query a page can reach takes the owner: rows of others stay out."""

    async def list_for_owner(
        self, owner_id: UserId, *, offset: int = 0, limit: int = 100
    ) -> Sequence[SQLNote]:
        statement = (
            select(SQLNote)
            .where(SQLNote.owner_id == owner_id)
            .order_by(col(SQLNote.updated_at).desc())
            .offset(offset)
            .limit(limit)
        )
        return (await self.db_session.exec(statement)).all()

    async def get_for_owner(self, owner_id: UserId, note_id: NoteId) -> SQLNote | None:
        statement = select(SQLNote).where(SQLNote.id == note_id, SQLNote.owner_id == owner_id)
        return (await self.db_session.exec(statement)).first()

    async def get_many_for_owner(self, owner_id: UserId, note_ids: Sequence[NoteId]) -> Sequence[SQLNote]:
        statement = select(SQLNote).where(col(SQLNote.id).in_(note_ids), SQLNote.owner_id == owner_id)
        return (await self.db_session.exec(statement)).all()

    async def list_embedding_pending(
        self, limit: int, only: Sequence[NoteId] | None = None
    ) -> Sequence[SQLNote]:
        statement = select(SQLNote).where(col(SQLNote.embedding_pending))
        if only is not None:
            statement = statement.where(col(SQLNote.id).in_(only))
        return (await self.db_session.exec(statement.order_by(col(SQLNote.updated_at)).limit(limit))).all()

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
