from __future__ import annotations

from collections.abc import Sequence

from heavy_stack.backend.data.model_managers.base import BaseManager, TargetT
from heavy_stack.backend.data.repositories.note_embedding_repository import NoteEmbeddingRepository
from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding
from heavy_stack.shared_models.note import NoteId, NoteVersion
from heavy_stack.shared_models.user import UserId

Vector = Sequence[float]


class NoteEmbeddingManager(BaseManager[NoteEmbeddingRepository, TargetT]):
    """Notes' embeddings in the vector database: store them, and find a user's nearest notes.

    It stores and compares vectors; the caller embeds the text (see ``note_text``), so the slow
    part runs where the caller chooses and this manager never blocks on a model.
    """

    async def store(self, embedder: str, versions: Sequence[NoteVersion], vectors: Sequence[Vector]) -> None:
        """Store each version's vector (replacing what the note had)."""
        rows = [
            NoteEmbedding(
                note_id=version.id,
                owner_id=version.owner_id,
                note_updated_at=version.saved_at,
                embedder=embedder,
                embedding=list(vector),
            )
            for version, vector in zip(versions, vectors, strict=True)
        ]
        await self.repository.upsert(rows)

    async def nearest(
        self, owner_id: UserId, vector: Vector, *, exclude: NoteId, limit: int
    ) -> list[tuple[NoteId, float]]:
        """The owner's other notes closest to ``vector``: ``(note id, similarity)``, best first."""
        found = await self.repository.nearest(owner_id, vector, exclude=exclude, limit=limit)
        return [(note_id, 1.0 - distance) for note_id, distance in found]

    async def delete_for_note(self, note_id: NoteId) -> None:
        await self.repository.delete_by_note(note_id)


def note_text(title: str, body: str) -> str:
    """What is embedded: the title, then the text."""
    return f"{title}\n{body}"
