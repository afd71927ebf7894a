from __future__ import annotations

from datetime import datetime

from pgvector.sqlalchemy import Vector
from sqlalchemy import DateTime, Uuid
from sqlmodel import Field

from heavy_stack.backend.data.vector_models.base import VectorModel
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.user import UserId

# The size of the stored vectors: every embedder the app uses makes vectors of this size.
EMBEDDING_DIMENSION = 256


class NoteEmbedding(VectorModel, table=True):
    """A row of ``note_embeddings``: one note's text as a vector, and whose note it is.

    No foreign keys: the notes live in the other database. ``owner_id`` is kept here so that a
    search runs over one user's notes only.
    """

    __tablename__ = "note_embeddings"

    note_id: NoteId = Field(primary_key=True, sa_type=Uuid)
    owner_id: UserId = Field(index=True, sa_type=Uuid)
    # The note's updated_at when it was embedded, and by which embedder.
    note_updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    embedder: str = Field(max_length=100)
    embedding: list[float] = Field(sa_type=Vector(EMBEDDING_DIMENSION))
