"""The embedders: unit vectors, stable, closer for similar texts; the semantic one knows meaning."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from collections.abc import Sequence

import pytest

from heavy_stack.backend.data.vector_models.note_embedding import EMBEDDING_DIMENSION
from heavy_stack.backend.services.embeddings import (
    Embedder,
    HashedNgramEmbedder,
    embed_off_loop,
    load_embedder,
)
from heavy_stack.settings import PROJECT_ROOT, EmbedderName

from tests.embedders import EMBEDDER_NAMES


def cosine(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(params=EMBEDDER_NAMES)
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return load_embedder(EmbedderName(request.param))


def test_vectors_have_the_dimension_and_unit_length(embedder: Embedder) -> None:
    vectors = embedder.embed(["hello world", "", "   ", "ü ß 漢字"])
    assert embedder.dimension == EMBEDDING_DIMENSION
    for vector in vectors:
        assert len(vector) == EMBEDDING_DIMENSION
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-6)


def test_the_same_text_always_gives_the_same_vector() -> None:
    # Stored vectors must stay comparable across processes (no salted hash()).
    assert HashedNgramEmbedder().embed(["Same Text"]) == HashedNgramEmbedder().embed(["same   text"])


def test_the_semantic_model_gives_the_same_vector_in_another_process() -> None:
    here = load_embedder(EmbedderName.WORDLLAMA).embed(["Same text"])[0]
    script = (
        "from heavy_stack.backend.services.embeddings import load_embedder; "
        "from heavy_stack.settings import EmbedderName; "
        "print(load_embedder(EmbedderName.WORDLLAMA).embed(['Same text'])[0])"
    )
    there = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert [float(value) for value in there.strip("[]\n").split(",")] == here


def test_similar_texts_are_closer_than_unrelated_ones(embedder: Embedder) -> None:
    query, similar, unrelated = embedder.embed(
        [
            "searching similar vectors in postgres with pgvector",
            "pgvector: vector similarity search for postgres",
            "bake the banana bread for an hour at 180 degrees",
        ]
    )
    assert cosine(query, similar) > 0.5
    assert abs(cosine(query, unrelated)) < 0.3
    assert cosine(query, similar) > cosine(query, unrelated) + 0.3


def test_the_semantic_model_relates_words_by_meaning_where_hashing_cannot() -> None:
    # "car" and "automobile" share no n-gram; "car" and "carpet" share several.
    hashed = load_embedder(EmbedderName.HASHED)
    semantic = load_embedder(EmbedderName.WORDLLAMA)
    for embedder in (hashed, semantic):
        car, automobile, carpet = embedder.embed(["car", "automobile", "carpet"])
        print(
            f"\n{embedder.name}: car~automobile {cosine(car, automobile):.2f}, car~carpet {cosine(car, carpet):.2f}"
        )
    h_car, h_automobile, h_carpet = hashed.embed(["car", "automobile", "carpet"])
    s_car, s_automobile, s_carpet = semantic.embed(["car", "automobile", "carpet"])
    assert cosine(s_car, s_automobile) > 0.5
    assert cosine(s_car, s_automobile) > cosine(h_car, h_automobile) + 0.4
    assert cosine(s_car, s_automobile) > cosine(s_car, s_carpet)
    assert cosine(h_car, h_automobile) < cosine(h_car, h_carpet)  # spelling, not meaning


async def test_embedding_runs_in_a_worker_thread_and_gives_the_same_vectors(embedder: Embedder) -> None:
    threads: list[str] = []

    class Recording:
        name, dimension = embedder.name, embedder.dimension

        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            threads.append(threading.current_thread().name)
            return embedder.embed(texts)

    texts = ["a note about vectors", "another about bread"]
    assert await embed_off_loop(Recording(), texts) == embedder.embed(texts)
    assert threads
    assert threads[0] != threading.current_thread().name


def test_choosing_the_semantic_embedder_without_its_package_says_how_to_install_it() -> None:
    # A Python where wordllama is not installed (None in sys.modules: found nowhere, no import).
    script = """
import os, sys
sys.modules["wordllama"] = None
os.environ["HEAVY_STACK_EMBEDDER"] = "wordllama"
from heavy_stack.settings import StartupError, load_settings
try:
    load_settings()
except StartupError as error:
    print(error)
"""
    said = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY_STACK_EMBEDDER='wordllama'" in said
    assert "uv sync --extra semantic" in said
