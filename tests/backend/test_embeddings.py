"""The hashed character n-gram embedder: unit vectors, stable, and closer for similar texts."""

from __future__ import annotations

import math

from heavy_stack.backend.data.vector_models.note_embedding import EMBEDDING_DIMENSION
from heavy_stack.backend.services.embeddings import HashedNgramEmbedder, default_embedder


def cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_have_the_dimension_and_unit_length() -> None:
    vectors = default_embedder().embed(["hello world", "", "   ", "ü ß 漢字"])
    for vector in vectors:
        assert len(vector) == EMBEDDING_DIMENSION
        assert math.isclose(math.fsum(x * x for x in vector), 1.0)


def test_the_same_text_always_gives_the_same_vector() -> None:
    # Stored vectors must stay comparable across processes (no salted hash()).
    assert HashedNgramEmbedder().embed(["Same Text"]) == HashedNgramEmbedder().embed(["same   text"])


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    query, similar, unrelated = default_embedder().embed(
        [
            "searching similar vectors in postgres with pgvector",
            "pgvector: vector similarity search for postgres",
            "bake the banana bread for an hour at 180 degrees",
        ]
    )
    assert cosine(query, similar) > 0.5
    assert abs(cosine(query, unrelated)) < 0.3
