"""Every table of the vector database. Import a new model here so ``VectorModel.metadata`` has it.

The vector database holds only what can be computed again from the SQL database (embeddings),
so its tables are not migrated: the app creates missing ones at start-up, and a changed table is
dropped and refilled (see ``backend/services/note_search.py``).
"""

from heavy_stack.backend.data.vector_models.base import VectorModel
from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding

__all__ = ["NoteEmbedding", "VectorModel"]
