"""Text embeddings: the seam where a project plugs in a real model.

Everything that embeds text calls ``default_embedder()``. The one shipped here needs no model
download: it hashes the character n-grams of a text into a fixed-size vector and normalises it,
so texts that share many n-grams (words, word parts, names) point the same way. It knows nothing
of meaning ("car" and "automobile" are strangers), which is what a real model adds.

To use a real model: write a class with ``name``, ``dimension`` and ``embed`` (see
``Embedder``), return it from ``default_embedder()``, set ``EMBEDDING_DIMENSION`` (in
``backend/data/vector_models/note_embedding.py``) to its dimension, and drop the vector tables (``make pave-db`` locally, or ``DROP TABLE`` on the
vector database): they are recreated at start-up and every note is embedded again.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from heavy_stack.backend.data.vector_models.note_embedding import EMBEDDING_DIMENSION


class Embedder(Protocol):
    """Turns texts into unit vectors of ``dimension`` floats; similar texts, close vectors."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class HashedNgramEmbedder:
    """Character n-grams hashed into ``dimension`` buckets, with random signs, then normalised.

    The sign (from the hash too) makes unrelated n-grams that share a bucket cancel out
    rather than add up, so unrelated texts land near similarity 0.
    """

    dimension: int = EMBEDDING_DIMENSION
    sizes: tuple[int, ...] = (3, 4)
    name: str = "hashed-char-ngrams-v1"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._embed_one(text) for text in texts]

    def _embed_one(self, text: str) -> list[float]:
        # Lower case, single spaces, and a space at each end so words' edges count as n-grams.
        normalized = f" {' '.join(text.lower().split())} "
        vector = [0.0] * self.dimension
        for size in self.sizes:
            for start in range(len(normalized) - size + 1):
                bucket, sign = self._bucket(normalized[start : start + size])
                vector[bucket] += sign
        return _unit(vector)

    def _bucket(self, gram: str) -> tuple[int, float]:
        # blake2b, not hash(): Python salts str hashes per process, and the vectors are stored.
        value = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
        return value % self.dimension, 1.0 if value >> 63 else -1.0


@cache
def default_embedder() -> Embedder:
    """The embedder the app uses: replace the class here (and ``EMBEDDING_DIMENSION``)."""
    return HashedNgramEmbedder()


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:  # no n-grams (empty text): any unit vector will do, cosine needs a length
        return [1.0] + [0.0] * (len(vector) - 1)
    return [value / norm for value in vector]
