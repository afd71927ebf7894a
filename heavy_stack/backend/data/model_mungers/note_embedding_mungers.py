from __future__ import annotations

from heavy import IdentityMunger

from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding


class NoteEmbeddingMunger(IdentityMunger[NoteEmbedding]):
    """The row itself: embeddings are for searching, pages never show them."""
