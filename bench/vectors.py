"""The related-notes query as one owner's notes grow, with and without an HNSW index.

``NoteEmbeddingRepository.nearest`` is timed over 1,000 to 100,000 notes of one owner
(beside a fixed number of other owners' notes, so the owner filter matters), first as an exact
scan by the ``owner_id`` index, then with an HNSW index on the embeddings. Vectors are
clustered (notes on a few hundred topics), written with one binary ``COPY`` per size; recall
is how many of the exact three nearest the index finds. Runs on the embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import struct
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from heavy.data.db_connection import Database
from heavy.data.embedded_postgres import EmbeddedPostgres
from sqlalchemy import text

from heavy_stack.backend.data.repositories.note_embedding_repository import NoteEmbeddingRepository
from heavy_stack.backend.data.vector_models.note_embedding import EMBEDDING_DIMENSION
from heavy_stack.backend.services.embeddings import HashedNgramEmbedder
from heavy_stack.backend.services.note_search import NoteSearch
from heavy_stack.settings import Settings
from heavy_stack.shared_models.note import NoteId
from heavy_stack.shared_models.user import UserId

OTHER_OWNERS_NOTES = 10_000
OTHER_OWNERS = 100
TOPICS = 300
LIMIT = 3  # what the note page shows
HNSW_INDEX = "bench_note_embeddings_hnsw"
CREATE_HNSW = f"CREATE INDEX {HNSW_INDEX} ON note_embeddings USING hnsw (embedding vector_cosine_ops)"
ITERATIVE_SCAN = "SET LOCAL hnsw.iterative_scan = strict_order"


@dataclass(frozen=True)
class VectorRow:
    """One size, one way of searching."""

    notes: int
    index: str
    p50_ms: float
    p95_ms: float
    recall: float
    build_s: float


async def measure_vectors(data_dir: Path, sizes: Sequence[int], queries: int) -> list[VectorRow]:
    """Time ``nearest`` for each size of one owner's notes, exact and with HNSW."""
    postgres = await EmbeddedPostgres.start(data_dir, Settings)
    database = Database.connect(postgres.sql_url, postgres.vector_url, timeout=600)
    rows: list[VectorRow] = []
    try:
        await NoteSearch(database, HashedNgramEmbedder()).ensure_tables()
        rng = random.Random(12)
        topics = [[rng.gauss(0, 1) for _ in range(EMBEDDING_DIMENSION)] for _ in range(TOPICS)]
        for size in sizes:
            owner = UserId(uuid.uuid4())
            async with database.vector_engine.begin() as connection:
                await connection.execute(text(f"DROP INDEX IF EXISTS {HNSW_INDEX}"))
                await connection.execute(text("TRUNCATE note_embeddings"))
            await _copy_rows(postgres.vector_url, _rows(rng, topics, owner, size))
            async with database.vector_engine.begin() as connection:
                await connection.execute(text("ANALYZE note_embeddings"))
            probes = [(_vector(rng, topics), NoteId(uuid.uuid4())) for _ in range(queries)]
            exact_times, exact = await _search(database, owner, probes, hnsw=False)
            rows.append(VectorRow(size, "none (exact, owner_id index)", *_p50_p95(exact_times), 1.0, 0.0))
            started = time.perf_counter()
            async with database.vector_engine.begin() as connection:
                await connection.execute(text(CREATE_HNSW))
                await connection.execute(text("ANALYZE note_embeddings"))
            build = time.perf_counter() - started
            hnsw_times, found = await _search(database, owner, probes, hnsw=True)
            used = await _uses_index(database, owner, probes[0][0])
            hits = sum(len(set(a) & set(b)) for a, b in zip(exact, found, strict=True))
            recall = hits / max(1, sum(len(a) for a in exact))
            label = "HNSW, iterative scan" + ("" if used else " (planner kept the exact scan)")
            rows.append(VectorRow(size, label, *_p50_p95(hnsw_times), recall, build))
            print(f"  {size:,} notes: exact {rows[-2].p50_ms:.2f} ms, HNSW {rows[-1].p50_ms:.2f} ms")
        async with database.vector_engine.begin() as connection:
            await connection.execute(text("TRUNCATE note_embeddings"))
    finally:
        await database.close()
        await postgres.stop()
    return rows


async def _search(
    database: Database, owner: UserId, probes: Sequence[tuple[list[float], NoteId]], *, hnsw: bool
) -> tuple[list[float], list[list[NoteId]]]:
    times, answers = [], []
    for vector, exclude in [probes[0], *probes]:  # the first one warms up the cache
        started = time.perf_counter()
        async with database.vector_transaction() as session:
            if hnsw:  # the owner filter runs after the index scan: keep scanning until 3 match
                await session.exec(text(ITERATIVE_SCAN))  # type: ignore[call-overload]
            found = await NoteEmbeddingRepository().nearest(
                owner, vector, embedder=EMBEDDER.decode(), exclude=exclude, limit=LIMIT
            )
        times.append((time.perf_counter() - started) * 1000)
        answers.append([note_id for note_id, _distance in found])
    return times[1:], answers[1:]


async def _uses_index(database: Database, owner: UserId, vector: list[float]) -> bool:
    """Whether PostgreSQL's plan for the query reads the HNSW index."""
    async with database.vector_transaction() as session:
        await session.exec(text(ITERATIVE_SCAN))  # type: ignore[call-overload]
        plan = await session.exec(  # type: ignore[call-overload]
            text(
                "EXPLAIN SELECT note_id FROM note_embeddings WHERE owner_id = :owner "
                "ORDER BY embedding <=> CAST(:vector AS vector) LIMIT 3"
            ),
            params={"owner": owner, "vector": str(vector)},
        )
        return any(HNSW_INDEX in line for (line,) in plan.all())


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _vector(rng: random.Random, topics: list[list[float]]) -> list[float]:
    topic = rng.choice(topics)
    return [value + rng.gauss(0, 0.6) for value in topic]


def _rows(rng: random.Random, topics: list[list[float]], owner: UserId, size: int) -> Iterator[bytes]:
    others = [uuid.uuid4() for _ in range(OTHER_OWNERS)]
    for index in range(size + OTHER_OWNERS_NOTES):
        who = owner if index < size else others[index % OTHER_OWNERS]
        yield _binary_row(uuid.uuid4(), who, _vector(rng, topics))


EMBEDDER = b"bench"
VECTOR_FORMAT = struct.Struct(f">hh{EMBEDDING_DIMENSION}f")


def _binary_row(note_id: uuid.UUID, owner: uuid.UUID, vector: list[float]) -> bytes:
    # PostgreSQL's binary COPY tuple: 5 fields (note_id, owner_id, note_updated_at, embedder,
    # embedding), each a length and its bytes; a vector is its dimension, 0, and float4s.
    embedding = VECTOR_FORMAT.pack(EMBEDDING_DIMENSION, 0, *vector)
    return b"".join(
        (
            struct.pack(">hi", 5, 16),
            note_id.bytes,
            struct.pack(">i", 16),
            owner.bytes,
            struct.pack(">iq", 8, 0),  # timestamptz: microseconds since 2000-01-01
            struct.pack(">i", len(EMBEDDER)),
            EMBEDDER,
            struct.pack(">i", len(embedding)),
            embedding,
        )
    )


async def _copy_rows(url: str, rows: Iterator[bytes]) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn)
    try:

        async def stream() -> Iterator[bytes]:  # type: ignore[misc]
            yield b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
            chunk: list[bytes] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == 2000:
                    yield b"".join(chunk)
                    chunk = []
                    await asyncio.sleep(0)
            yield b"".join(chunk) + struct.pack(">h", -1)

        await connection.copy_to_table(
            "note_embeddings",
            source=stream(),
            columns=["note_id", "owner_id", "note_updated_at", "embedder", "embedding"],
            format="binary",
        )
    finally:
        await connection.close()
