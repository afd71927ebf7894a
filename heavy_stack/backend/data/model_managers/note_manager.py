from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heavy_stack.backend.data.model_managers.base import BaseManager, TargetT
from heavy_stack.backend.data.model_mungers.base import ModelMunger
from heavy_stack.backend.data.repositories.note_repository import NoteRepository
from heavy_stack.backend.data.sql_models.base import utc_now
from heavy_stack.backend.data.sql_models.note import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, SQLNote
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.user import UserId

# asyncpg takes at most 32,767 parameters in one statement: long id lists go in chunks.
IDS_PER_STATEMENT = 1000


class NoteNotFoundError(LookupError):
    """No note with that id belongs to that user (whether it exists for someone else is not said)."""


class NoteManager(BaseManager[TargetT]):
    """A user's notes. Every method takes the owner: no call reaches another user's note."""

    sql_model = SQLNote

    def __init__(self, munger: ModelMunger[TargetT, Any]) -> None:
        super().__init__(munger)
        self.notes = NoteRepository()

    async def list(self, owner_id: UserId, *, offset: int = 0, limit: int = 100) -> Sequence[TargetT]:
        """The owner's notes, last edited first."""
        return self.munger.to_models(await self.notes.list_for_owner(owner_id, offset=offset, limit=limit))

    async def get(self, owner_id: UserId, note_id: NoteId) -> TargetT | None:
        row = await self.notes.get_for_owner(owner_id, note_id)
        return None if row is None else self.munger.to_model(row)

    async def get_many(self, owner_id: UserId, note_ids: Sequence[NoteId]) -> Sequence[TargetT]:
        """The owner's notes among ``note_ids``, in the order of ``note_ids``."""
        rows = {row.id: row for row in await self.notes.get_many_for_owner(owner_id, note_ids)}
        return [self.munger.to_model(rows[note_id]) for note_id in note_ids if note_id in rows]

    async def create(self, owner_id: UserId, title: str, body: str) -> TargetT:
        """A new note; ValueError (a message for the user) if the title or text will not do."""
        title, body = clean_note(title, body)
        return self.munger.to_model(await self.notes.add(SQLNote(owner_id=owner_id, title=title, body=body)))

    async def update(self, owner_id: UserId, note_id: NoteId, title: str, body: str) -> TargetT:
        title, body = clean_note(title, body)
        row = await self._owned(owner_id, note_id)
        changed = await self.notes.update(
            row, title=title, body=body, updated_at=utc_now(), embedding_pending=True
        )
        return self.munger.to_model(changed)

    async def delete(self, owner_id: UserId, note_id: NoteId) -> None:
        await self.notes.delete(await self._owned(owner_id, note_id))

    async def list_embedding_pending(
        self, limit: int = 100, only: Sequence[NoteId] | None = None
    ) -> Sequence[TargetT]:
        """Notes (of any owner, or among ``only``) whose current text has no embedding yet."""
        return self.munger.to_models(await self.notes.list_embedding_pending(limit, only))

    async def mark_pending(self, note_ids: Sequence[NoteId]) -> Sequence[NoteId]:
        """Have these notes embedded again (by the catch-up job); returns the ids that exist."""
        chunks = [
            note_ids[start : start + IDS_PER_STATEMENT]
            for start in range(0, len(note_ids), IDS_PER_STATEMENT)
        ]
        return [note_id for chunk in chunks for note_id in await self.notes.mark_pending(chunk)]

    async def mark_embedded(self, notes: Sequence[SQLNote]) -> None:
        """Record that these versions of the notes are embedded (later saves stay pending)."""
        for note in notes:
            await self.notes.mark_embedded(note.id, note.updated_at)

    async def _owned(self, owner_id: UserId, note_id: NoteId) -> SQLNote:
        row = await self.notes.get_for_owner(owner_id, note_id)
        if row is None:
            raise NoteNotFoundError(f"No note {note_id} of user {owner_id}")
        return row


def clean_note(title: str, body: str) -> tuple[str, str]:
    """Title and text as stored; ValueError with a message for the user if they will not do."""
    title, body = title.strip(), body.strip()
    if not title:
        raise ValueError("Give the note a title.")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValueError(f"A title has at most {TITLE_MAX_LENGTH} characters; this one has {len(title):,}.")
    if len(body) > BODY_MAX_LENGTH:
        raise ValueError(f"A note has at most {BODY_MAX_LENGTH:,} characters; this one has {len(body):,}.")
    return title, body
