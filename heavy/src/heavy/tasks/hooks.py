"""``heavy_use_task``: a page's view of its owner's newest run of a task, kept current.

The run's progress is read from ``heavy_task_progress`` (so it shows again after a reload or a
restart, whichever process runs it) and read again every ``poll_seconds`` while the run is
live: a read-only unit of one indexed SELECT per page and period.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from heavy.hooks import Cleanup, heavy_use_effect, heavy_use_state
from heavy.tasks.progress import TaskProgress
from heavy.tasks.task import Task

POLL_SECONDS = 0.5


def heavy_use_task(
    task: Task[Any], owner_of: Callable[[Any], str], poll_seconds: float = POLL_SECONDS
) -> tuple[TaskProgress | None, Callable[[TaskProgress | None], None]]:
    """The newest run of ``task`` for ``owner_of(context)`` (None before it loads or if none),
    and a setter to show a run at once (the one a handler just started or cancelled).

    ``owner_of`` receives the unit's ``HeavyContext`` (the product's class): the signed-in user's
    id, say. While the run is live the page reads it again every ``poll_seconds``.
    """
    no_progress: TaskProgress | None = None
    progress, set_progress = heavy_use_state(no_progress)
    reads, set_reads = heavy_use_state(0)

    async def load(context: Any) -> None:
        set_progress(await task.latest(owner_of(context)))

    heavy_use_effect(load, [reads], reads_only=True)
    live = progress is not None and progress.live

    def read_again_soon() -> Cleanup:
        if not live:
            return None
        later = asyncio.get_running_loop().call_later(poll_seconds, set_reads, reads + 1)
        return later.cancel

    heavy_use_effect(read_again_soon, [live, reads])
    return progress, set_progress
