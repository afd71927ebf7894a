from __future__ import annotations

from collections.abc import Sequence

from heavy import Manager, NotFoundError, TargetT, current_language, utc_now
from heavy import gettext as t
from sqlmodel import col

from heavy_stack.backend.data.repositories.note_repository import NoteRepository
from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.shared_models.note import BODY_MAX_LENGTH, TITLE_MAX_LENGTH, NoteId, NoteVersion
from heavy_stack.shared_models.user import UserId

# asyncpg takes at most 32,767 parameters in one statement: long id lists go in chunks.
IDS_PER_STATEMENT = 1000


class NoteNotFoundError(NotFoundError):
    """No note with that id belongs to that user (whether it exists for someone else is not said)."""


class NoteManager(Manager[SQLNote, TargetT]):
    """A user's notes. Every method a page calls takes the owner: no call reaches another
    user's note (the base's ``get``/``require``/``list`` by id alone are for background jobs)."""

    not_found = NoteNotFoundError
    repository = NoteRepository()

    async def list_owned(self, owner_id: UserId, *, offset: int = 0, limit: int = 100) -> Sequence[TargetT]:
        """The owner's notes, last edited first."""
        newest_first = col(SQLNote.updated_at).desc()
        return await self.list(
            SQLNote.owner_id == owner_id, order_by=newest_first, offset=offset, limit=limit
        )

    async def get_owned(self, owner_id: UserId, note_id: NoteId) -> TargetT | None:
        return self.output_or_none(await self._get_owned(owner_id, note_id))

    async def get_many(self, owner_id: UserId, note_ids: Sequence[NoteId]) -> Sequence[TargetT]:
        """The owner's notes among ``note_ids``, in the order of ``note_ids``."""
        found = await self.repository.list(
            col(SQLNote.id).in_(note_ids), SQLNote.owner_id == owner_id, limit=None
        )
        rows = {row.id: row for row in found}
        return self.outputs(rows[note_id] for note_id in note_ids if note_id in rows)

    async def create(self, owner_id: UserId, title: str, body: str) -> TargetT:
        """A new note; ValueError (a message for the user) if the title or text will not do."""
        title, body = clean_note(title, body)
        return self.output(await self.repository.add(SQLNote(owner_id=owner_id, title=title, body=body)))

    async def update(self, owner_id: UserId, note_id: NoteId, title: str, body: str) -> TargetT:
        title, body = clean_note(title, body)
        row = await self._owned(owner_id, note_id)
        changed = await self.repository.update(
            row, title=title, body=body, updated_at=utc_now(), embedding_pending=True
        )
        return self.output(changed)

    async def delete(self, owner_id: UserId, note_id: NoteId) -> None:
        await self.repository.delete(await self._owned(owner_id, note_id))

    async def list_embedding_pending(
        self, limit: int = 100, only: Sequence[NoteId] | None = None
    ) -> Sequence[TargetT]:
        """Notes (of any owner, or among ``only``) whose current text has no embedding yet."""
        among = () if only is None else (col(SQLNote.id).in_(only),)
        oldest_first = col(SQLNote.updated_at)
        return await self.list(col(SQLNote.embedding_pending), *among, order_by=oldest_first, limit=limit)

    async def mark_pending(self, note_ids: Sequence[NoteId]) -> Sequence[NoteId]:
        """Have these notes embedded again (by the catch-up job); returns the ids that exist."""
        chunks = [
            note_ids[start : start + IDS_PER_STATEMENT]
            for start in range(0, len(note_ids), IDS_PER_STATEMENT)
        ]
        return [note_id for chunk in chunks for note_id in await self.repository.mark_pending(chunk)]

    async def mark_embedded(self, versions: Sequence[NoteVersion]) -> None:
        """Record that these versions of the notes are embedded (later saves stay pending)."""
        for version in versions:
            await self.repository.mark_embedded(version.id, version.saved_at)

    async def _get_owned(self, owner_id: UserId, note_id: NoteId) -> SQLNote | None:
        return await self.repository.get_by(SQLNote.id == note_id, SQLNote.owner_id == owner_id)

    async def _owned(self, owner_id: UserId, note_id: NoteId) -> SQLNote:
        return self.found(await self._get_owned(owner_id, note_id), f"note {note_id} of user {owner_id}")


def clean_note(title: str, body: str) -> tuple[str, str]:
    """Title and text as stored; ValueError with a message for the user if they will not do."""
    title, body = title.strip(), body.strip()
    number = current_language().format_number
    if not title:
        raise ValueError(t("Give the note a title."))
    if len(title) > TITLE_MAX_LENGTH:
        raise ValueError(
            t("A title has at most {limit} characters; this one has {length}.").format(
                limit=number(TITLE_MAX_LENGTH), length=number(len(title))
            )
        )
    if len(body) > BODY_MAX_LENGTH:
        raise ValueError(
            t("A note has at most {limit} characters; this one has {length}.").format(
                limit=number(BODY_MAX_LENGTH), length=number(len(body))
            )
        )
    return title, body
