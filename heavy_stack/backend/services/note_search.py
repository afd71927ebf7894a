"""The notes example on both databases: embeddings in the vector database, related notes, catch-up.

A save writes the note with ``embedding_pending`` set, in the page's transaction. Once that
commits, the page asks ``NoteSearch.embed_pending`` to embed it (an after-commit job), which
stores the vector and clears the flag. If the vector database is down, the note is saved all
the same and stays pending: the server's catch-up job embeds whatever is
pending every ``embedding_retry_seconds`` (``catch_up``).

Embedding runs in the embedding thread (``embed_off_loop``), never on the event loop: a
catch-up batch of 100 long notes leaves every page answering. Each vector records its embedder;
searches compare only the current embedder's, and after a change of ``HEAVY_STACK_EMBEDDER`` the
catch-up job embeds every note again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from heavy import Database
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from heavy_stack.backend.data.model_managers.note_embedding_manager import note_text
from heavy_stack.backend.data.model_managers.registry import managers
from heavy_stack.backend.data.vector_models import VectorModel
from heavy_stack.backend.services.embeddings import Embedder, embed_off_loop
from heavy_stack.shared_models.note import Note, NoteId, NoteVersion, RelatedNote
from heavy_stack.shared_models.user import UserId

logger = logging.getLogger(__name__)

# ``report(done, total)``: how far a re-index is.
ReportProgress = Callable[[int, int], Awaitable[None]]

# What an unreachable or failing vector database raises.
VECTOR_DATABASE_ERRORS = (OSError, TimeoutError, SQLAlchemyError)
BATCH_SIZE = 100
UNDEFINED_TABLE = "42P01"
RELATED_COUNT = 3


class VectorDatabaseUnavailableError(RuntimeError):
    """The vector database cannot be reached; the message says so in words."""


@dataclass(frozen=True)
class NoteSearch:
    """Embedding notes and finding related ones, over the app's two databases."""

    database: Database
    # The app's (``AppServices.embedder``): stored vectors and queries must come from the same one.
    embedder: Embedder

    async def related(
        self, owner_id: UserId, note: Note, limit: int = RELATED_COUNT
    ) -> list[RelatedNote] | None:
        """The owner's notes most similar to ``note``, best first; None if the vector database
        cannot be reached. Needs the caller's SQL transaction (a heavy handler or effect)."""
        try:
            # The text is embedded now: this works before the note's own embedding is stored.
            # In the embedding thread, before the vector transaction takes a connection.
            [vector] = await embed_off_loop(self.embedder, [note_text(note.title, note.body)])
            async with self.database.vector_transaction():
                nearest = await managers().note_embeddings.nearest(
                    owner_id, vector, embedder=self.embedder.name, exclude=note.id, limit=limit
                )
        except VECTOR_DATABASE_ERRORS as error:
            logger.warning("Vector database unavailable, no related notes: %s", _short(error))
            return None
        similarity = dict(nearest)
        # Read back through the owner's notes: an embedding whose note is gone (or not theirs)
        # shows nothing.
        found = await managers().notes.get_many(owner_id, [note_id for note_id, _ in nearest])
        return [RelatedNote(id=item.id, title=item.title, similarity=similarity[item.id]) for item in found]

    async def embed_pending(self, only: Sequence[NoteId] | None = None, limit: int = BATCH_SIZE) -> int:
        """Embed notes saved since their last embedding (all, or those in ``only``).

        Returns how many were embedded; 0 (and a log line) when the vector database is down:
        the notes stay pending for the next try. Opens its own short transactions.
        """
        async with self.database.transaction():
            pending = await managers().note_versions.list_embedding_pending(limit, only)
        if not pending:
            return 0
        # In the embedding thread, with no transaction open: no connection waits on the batch.
        texts = [note_text(version.title, version.body) for version in pending]
        vectors = await embed_off_loop(self.embedder, texts)
        try:
            async with self.database.vector_transaction():
                await managers().note_embeddings.store(self.embedder.name, pending, vectors)
        except VECTOR_DATABASE_ERRORS as error:
            logger.warning("Vector database unavailable, %d note(s) wait: %s", len(pending), _short(error))
            return 0
        async with self.database.transaction():
            await managers().note_versions.mark_embedded(pending)
        return len(pending)

    async def reindex(self, owner_id: UserId, report: ReportProgress, pause_seconds: float = 0.0) -> int:
        """Embed every note of the owner again, one at a time, calling ``report(done, total)``
        after each; how many. Raises ``VectorDatabaseUnavailableError`` when the vector
        database cannot be reached (the task's next attempt tries again)."""
        if not await self.ensure_tables():
            raise VectorDatabaseUnavailableError("The vector database is unavailable right now.")
        async with self.database.transaction(read_only=True):
            versions = await _all_owned_versions(owner_id)
        await report(0, len(versions))
        for done, version in enumerate(versions, 1):
            [vector] = await embed_off_loop(self.embedder, [note_text(version.title, version.body)])
            try:
                async with self.database.vector_transaction():
                    await managers().note_embeddings.store(self.embedder.name, [version], [vector])
            except VECTOR_DATABASE_ERRORS as error:
                raise VectorDatabaseUnavailableError(
                    f"The vector database stopped answering ({_short(error)})."
                ) from error
            async with self.database.transaction():
                await managers().note_versions.mark_embedded([version])
            await report(done, len(versions))
            if pause_seconds:
                await asyncio.sleep(pause_seconds)
        return len(versions)

    async def forget(self, note_id: NoteId) -> None:
        """Remove a deleted note's embedding (if the vector database is down, searches skip it)."""
        try:
            async with self.database.vector_transaction():
                await managers().note_embeddings.delete_for_note(note_id)
        except VECTOR_DATABASE_ERRORS as error:
            logger.warning("Vector database unavailable, embedding of %s left: %s", note_id, _short(error))

    async def forget_owner(self, owner_id: UserId) -> bool:
        """Remove every embedding of a deleted account (its own vector transaction); False if
        the vector database could not be reached: ``forget_orphans`` removes them later."""
        try:
            async with self.database.vector_transaction():
                await managers().note_embeddings.delete_for_owner(owner_id)
        except VECTOR_DATABASE_ERRORS as error:
            logger.warning(
                "Vector database unavailable, a deleted account's embeddings wait: %s", _short(error)
            )
            return False
        return True

    async def forget_orphans(self) -> int:
        """Remove the embeddings of owners who no longer have an account (an account deleted
        while the vector database was down); how many owners'. Housekeeping."""
        try:
            async with self.database.vector_transaction():
                owners = await managers().note_embeddings.owner_ids()
        except VECTOR_DATABASE_ERRORS as error:
            if _no_such_table(error):
                return 0  # not made yet (the catch-up job makes it): no embeddings to check
            logger.warning("Vector database unavailable, no orphan check: %s", _short(error))
            return 0
        if not owners:
            return 0
        async with self.database.transaction():
            existing = await managers().users.existing_ids(owners)
        gone = [owner for owner in owners if owner not in existing]
        for owner in gone:
            await self.forget_owner(owner)
        return len(gone)

    async def catch_up(self) -> int:
        """Create missing vector tables, queue the notes another embedder embedded, then embed
        everything pending; how many were embedded.

        The server runs this every ``embedding_retry_seconds``; in several server processes at
        once it is harmless (embedding a note twice stores the same vector).
        """
        embedded = 0
        if await self.ensure_tables() and await self.queue_other_embedders() is not None:
            while (batch := await self.embed_pending()) > 0:
                embedded += batch
                if batch < BATCH_SIZE:
                    break
        return embedded

    async def queue_other_embedders(self) -> int | None:
        """Mark pending the notes whose stored vector another embedder made (the setting changed),
        and drop such vectors of deleted notes; how many were queued, None if unreachable."""
        try:
            async with self.database.vector_transaction():
                others = await managers().note_embeddings.embedded_by_others(self.embedder.name)
        except VECTOR_DATABASE_ERRORS as error:
            logger.warning("Vector database unavailable, no re-embedding: %s", _short(error))
            return None
        if not others:
            return 0
        async with self.database.transaction():
            queued = await managers().note_versions.mark_pending(others)
        if gone := sorted(set(others) - set(queued)):
            try:
                async with self.database.vector_transaction():
                    await managers().note_embeddings.delete_many(gone)
            except VECTOR_DATABASE_ERRORS as error:
                logger.warning("Vector database unavailable, old vectors left: %s", _short(error))
        logger.info("%d note(s) to embed again with %s", len(queued), self.embedder.name)
        return len(queued)

    async def ensure_tables(self) -> bool:
        """Create the ``vector`` extension and missing vector tables; False if unreachable."""
        try:
            async with self.database.vector_engine.begin() as connection:
                await connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
                await connection.run_sync(VectorModel.metadata.create_all)
        except VECTOR_DATABASE_ERRORS as error:
            logger.warning("Vector database unavailable, its tables wait: %s", _short(error))
            return False
        return True


def _no_such_table(error: BaseException) -> bool:
    # PostgreSQL's undefined_table, as the asyncpg adapter gives it under SQLAlchemy's error.
    return getattr(getattr(error, "orig", None), "sqlstate", None) == UNDEFINED_TABLE


async def _all_owned_versions(owner_id: UserId) -> list[NoteVersion]:
    versions: list[NoteVersion] = []
    while page := await managers().note_versions.list_owned(owner_id, offset=len(versions), limit=BATCH_SIZE):
        versions.extend(page)
        if len(page) < BATCH_SIZE:
            break
    return versions


def _short(error: BaseException) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
