from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heavy import VectorRepository
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.user import UserId


class NoteEmbeddingRepository(VectorRepository[NoteEmbedding, NoteId]):
    """``note_embeddings`` rows, in the vector database."""

    async def upsert(self, rows: Sequence[NoteEmbedding]) -> None:
        """Insert or replace each note's embedding (embedding the same note twice is harmless)."""
        for row in rows:
            values = row.model_dump()
            statement = insert(NoteEmbedding).values(values)
            statement = statement.on_conflict_do_update(
                index_elements=[col(NoteEmbedding.note_id)],
                set_={name: statement.excluded[name] for name in values if name != "note_id"},
            )
            await self.db_session.exec(statement)

    async def nearest(
        self, owner_id: UserId, vector: Sequence[float], *, embedder: str, exclude: NoteId, limit: int
    ) -> list[tuple[NoteId, float]]:
        """The owner's notes closest to ``vector`` (cosine distance, nearest first), among those
        embedded by ``embedder``: another model's vectors are not comparable, whatever their size.

        An exact scan of one owner's rows (by the ``owner_id`` index): right for the few
        hundred notes a person keeps, and exact. For searches across many rows, add an HNSW
        index, and ``SET LOCAL hnsw.iterative_scan = strict_order`` (pgvector 0.8) so that the
        owner filter, applied after the index scan, still finds ``limit`` rows.
        """
        embedding: Any = col(NoteEmbedding.embedding)  # pgvector's column type adds cosine_distance
        distance = embedding.cosine_distance(vector)
        statement = (
            select(col(NoteEmbedding.note_id), distance)
            .where(
                NoteEmbedding.owner_id == owner_id,
                NoteEmbedding.embedder == embedder,
                NoteEmbedding.note_id != exclude,
            )
            .order_by(distance)
            .limit(limit)
        )
        return [(note_id, float(found)) for note_id, found in (await self.db_session.exec(statement)).all()]

    async def note_ids_not_by(self, embedder: str) -> list[NoteId]:
        """The notes whose stored vector another embedder made (a full scan: the catch-up's)."""
        statement = select(col(NoteEmbedding.note_id)).where(NoteEmbedding.embedder != embedder)
        return list((await self.db_session.exec(statement)).all())

    async def owner_ids(self) -> list[UserId]:
        """Every owner with a stored vector (the index on owner_id answers it)."""
        statement = select(col(NoteEmbedding.owner_id)).distinct()
        return list((await self.db_session.exec(statement)).all())
