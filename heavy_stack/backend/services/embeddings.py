"""Text embeddings: the seam where a project plugs in a real model.

The app's embedder is chosen by ``HEAVY_STACK_EMBEDDER`` and loaded once by ``load_embedder``:

- ``hashed`` (the default) needs no model: it hashes the character n-grams of a text into a
  fixed-size vector and normalises it, so texts that share many n-grams (words, word parts,
  names) point the same way. It knows nothing of meaning ("car" and "automobile" are strangers).
- ``wordllama`` is a real semantic model whose weights ship inside the ``wordllama`` wheel
  (the ``semantic`` extra: nothing is downloaded at run time). It relates words by meaning.

Embedding is CPU work: callers on the event loop use ``embed_off_loop``, which runs the
embedder's plain, synchronous ``embed`` in one worker thread, so pages keep answering while a
batch embeds (``shutdown_embedding_worker`` stops that thread with the server).

To plug in another model: write a class with ``name``, ``dimension`` and ``embed`` (see
``Embedder``), add it to ``EmbedderName`` (in ``heavy_stack/settings.py``, with its package in
``EMBEDDER_PACKAGES`` if it is optional) and to ``load_embedder``, and keep
``EMBEDDING_DIMENSION`` (in ``backend/data/vector_models/note_embedding.py``) equal to its
dimension (a different dimension needs the vector tables dropped: ``make pave-db`` locally, or
``DROP TABLE`` on the vector database; they are recreated at start-up). Each stored
vector records its embedder's ``name``: searches compare only the current embedder's vectors,
and the catch-up job embeds again the notes another embedder stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from heavy_stack.backend.data.vector_models.note_embedding import EMBEDDING_DIMENSION
from heavy_stack.settings import EmbedderName, missing_embedder_package


class MissingEmbedderPackageError(RuntimeError):
    """The chosen embedder's package is not installed; the message says how to install it."""


class Embedder(Protocol):
    """Turns texts into unit vectors of ``dimension`` floats; similar texts, close vectors.

    ``embed`` is plain synchronous code (most model libraries are): the app never calls it on
    the event loop, only through ``embed_off_loop``.
    """

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
        # Each distinct n-gram is hashed once, times its count: a long note repeats most of its
        # n-grams, so this is about 4 times faster, and the sums (whole numbers) are the same.
        grams = Counter(
            normalized[start : start + size]
            for size in self.sizes
            for start in range(len(normalized) - size + 1)
        )
        vector = [0.0] * self.dimension
        for gram, count in grams.items():
            bucket, sign = self._bucket(gram)
            vector[bucket] += sign * count
        return _unit(vector)

    def _bucket(self, gram: str) -> tuple[int, float]:
        # blake2b, not hash(): Python salts str hashes per process, and the vectors are stored.
        value = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
        return value % self.dimension, 1.0 if value >> 63 else -1.0


class WordLlamaEmbedder:
    """WordLlama's 256-dimension model (``l2_supercat``): token embeddings averaged, normalised.

    The weights and tokenizer ship inside the ``wordllama`` wheel; loading takes a fraction of
    a second and about 20 MB. Texts are embedded one at a time: in a batch WordLlama pads every
    text to the longest, which for 10,000-character notes costs three times the time and
    hundreds of MB.
    """

    name = "wordllama-l2-supercat-256"
    dimension = EMBEDDING_DIMENSION

    def __init__(self) -> None:
        wordllama = _import_wordllama()
        # Its default folder lacks the tokenizer; the package's own folder has both files.
        self._model: Any = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=self.dimension
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.embed(list(texts), batch_size=1)
        return [_unit([float(value) for value in vector]) for vector in vectors]


@cache
def load_embedder(name: EmbedderName = EmbedderName.HASHED) -> Embedder:
    """The embedder called ``name``, loaded once per process (``AppServices.embedder``)."""
    name = EmbedderName(name)
    if (problem := missing_embedder_package(name)) is not None:
        raise MissingEmbedderPackageError(problem)
    if name == EmbedderName.WORDLLAMA:
        return WordLlamaEmbedder()
    return HashedNgramEmbedder()


# One thread for all embedding: batches queue instead of competing for the GIL with the loop.
_worker: ThreadPoolExecutor | None = None


async def embed_off_loop(embedder: Embedder, texts: Sequence[str]) -> list[list[float]]:
    """``embedder.embed(texts)`` in the embedding worker thread; the event loop runs on meanwhile."""
    global _worker
    if _worker is None:  # started on first use, never at import
        _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")
    return await asyncio.get_running_loop().run_in_executor(_worker, embedder.embed, list(texts))


def shutdown_embedding_worker() -> None:
    """Stop the embedding thread (at server stop): queued batches are dropped, the running one
    finishes; their notes stay pending for the next start's catch-up."""
    global _worker
    if _worker is not None:
        _worker.shutdown(wait=False, cancel_futures=True)
        _worker = None


def _import_wordllama() -> Any:
    try:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        import wordllama  # type: ignore[import-untyped]
    except ImportError as error:
        problem = missing_embedder_package(EmbedderName.WORDLLAMA) or f"wordllama does not import: {error}"
        raise MissingEmbedderPackageError(problem) from error
    # wordllama calls logging.basicConfig() on import: keep the app's logging as it was.
    root.handlers[:] = handlers
    root.setLevel(level)
    return wordllama


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0:  # no n-grams (empty text): any unit vector will do, cosine needs a length
        return [1.0] + [0.0] * (len(vector) - 1)
    return [value / norm for value in vector]
