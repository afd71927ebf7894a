from __future__ import annotations

from collections.abc import Sequence

from heavy import Manager, TargetT
from sqlmodel import col

from heavy_stack.backend.data.model_managers.note_manager import IDS_PER_STATEMENT
from heavy_stack.backend.data.repositories.note_embedding_repository import NoteEmbeddingRepository
from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding
from heavy_stack.shared_models.note import NoteId, NoteVersion
from heavy_stack.shared_models.user import UserId

Vector = Sequence[float]


class NoteEmbeddingManager(Manager[NoteEmbedding, TargetT]):
    """Notes' embeddings in the vector database: store them, and find a user's nearest notes.

    It stores and compares vectors; the caller embeds the text (see ``note_text``), so the slow
    part runs where the caller chooses and this manager never blocks on a model.
    """

    repository = NoteEmbeddingRepository()

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
        self, owner_id: UserId, vector: Vector, *, embedder: str, exclude: NoteId, limit: int
    ) -> list[tuple[NoteId, float]]:
        """The owner's other notes closest to ``vector``: ``(note id, similarity)``, best first.

        Only vectors stored by ``embedder`` (the one that made ``vector``) are compared.
        """
        found = await self.repository.nearest(
            owner_id, vector, embedder=embedder, exclude=exclude, limit=limit
        )
        return [(note_id, 1.0 - distance) for note_id, distance in found]

    async def delete_for_note(self, note_id: NoteId) -> None:
        await self.repository.delete_where(NoteEmbedding.note_id == note_id)

    async def delete_for_owner(self, owner_id: UserId) -> int:
        return await self.repository.delete_where(NoteEmbedding.owner_id == owner_id)

    async def owner_ids(self) -> list[UserId]:
        return await self.repository.owner_ids()

    async def embedded_by_others(self, embedder: str) -> list[NoteId]:
        """The notes whose stored vector is not ``embedder``'s (the embedder was changed)."""
        return await self.repository.note_ids_not_by(embedder)

    async def delete_many(self, note_ids: Sequence[NoteId]) -> None:
        for start in range(0, len(note_ids), IDS_PER_STATEMENT):
            chunk = note_ids[start : start + IDS_PER_STATEMENT]
            await self.repository.delete_where(col(NoteEmbedding.note_id).in_(chunk))


def note_text(title: str, body: str) -> str:
    """What is embedded: the title, then the text."""
    return f"{title}\n{body}"
