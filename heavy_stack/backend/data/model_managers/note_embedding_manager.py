from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heavy_stack.backend.data.model_managers.base import BaseManager, TargetT
from heavy_stack.backend.data.model_managers.note_manager import IDS_PER_STATEMENT
from heavy_stack.backend.data.model_mungers.base import ModelMunger
from heavy_stack.backend.data.repositories.note_embedding_repository import NoteEmbeddingRepository
from heavy_stack.backend.data.sql_models.note import SQLNote
from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding
from heavy_stack.backend.embeddings import Embedder, embed_off_loop
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.user import UserId


class NoteEmbeddingManager(BaseManager[TargetT]):
    """Notes' embeddings in the vector database: store them, and find a user's nearest notes."""

    sql_model = NoteEmbedding

    def __init__(self, munger: ModelMunger[TargetT, Any], embedder: Embedder) -> None:
        super().__init__(munger)
        self.embedder = embedder
        self.embeddings = NoteEmbeddingRepository()

    async def store(self, notes: Sequence[SQLNote]) -> None:
        """Embed the notes' current text and store it (replacing what was there).

        The embedding runs in the embedding thread, before the first statement: the session
        takes its connection only then, so none is held while a batch embeds.
        """
        vectors = await embed_off_loop(self.embedder, [note_text(note.title, note.body) for note in notes])
        rows = [
            NoteEmbedding(
                note_id=note.id,
                owner_id=note.owner_id,
                note_updated_at=note.updated_at,
                embedder=self.embedder.name,
                embedding=vector,
            )
            for note, vector in zip(notes, vectors, strict=True)
        ]
        await self.embeddings.upsert(rows)

    async def nearest(
        self, owner_id: UserId, title: str, body: str, *, exclude: NoteId, limit: int
    ) -> list[tuple[NoteId, float]]:
        """The owner's other notes most similar to this text: ``(note id, similarity)``, best first.

        The text is embedded now, so this works even before the note's own embedding is stored.
        Only vectors of this manager's embedder are compared.
        """
        [vector] = await embed_off_loop(self.embedder, [note_text(title, body)])
        found = await self.embeddings.nearest(
            owner_id, vector, embedder=self.embedder.name, exclude=exclude, limit=limit
        )
        return [(note_id, 1.0 - distance) for note_id, distance in found]

    async def delete(self, note_id: NoteId) -> None:
        await self.embeddings.delete_by_note(note_id)

    async def embedded_by_others(self) -> list[NoteId]:
        """The notes whose stored vector is not this embedder's (the embedder was changed)."""
        return await self.embeddings.note_ids_not_by(self.embedder.name)

    async def delete_many(self, note_ids: Sequence[NoteId]) -> None:
        for start in range(0, len(note_ids), IDS_PER_STATEMENT):
            await self.embeddings.delete_many(note_ids[start : start + IDS_PER_STATEMENT])


def note_text(title: str, body: str) -> str:
    """What is embedded: the title, then the text."""
    return f"{title}\n{body}"
