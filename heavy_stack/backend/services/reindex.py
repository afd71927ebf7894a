"""The "Re-index all my notes" task: every note of one user embedded again, as a queued task.

It runs on whichever server process's queue worker picks it (``heavy.task``), reports after each
note, is cancelled at its next note when its owner asks, and is tried again (three attempts in
all, 1 s then 2 s apart) when the vector database stops answering.
"""

from __future__ import annotations

import uuid

import heavy

from heavy_stack.backend.services.container import AppServices
from heavy_stack.shared_models.user import UserId


@heavy.task(max_attempts=3, retry_delay=1.0)
async def reindex_notes(services: AppServices, run: heavy.TaskRun) -> None:
    """Embed every note of ``run.owner`` (a user id) again."""

    async def report(done: int, total: int) -> None:
        await run.report(done, total, f"{done} of {total} notes re-indexed")

    pause = services.settings.reindex_pause_seconds
    await services.note_search.reindex(UserId(uuid.UUID(run.owner)), report, pause_seconds=pause)
