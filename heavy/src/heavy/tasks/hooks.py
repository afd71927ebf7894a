"""``heavy_use_task``: a page's view of its owner's newest run of a task, kept current.

The run is read from ``heavy_task_progress`` when the component mounts (so it shows again after
a reload, or after a restart of the process that ran it), then followed on its pub/sub topic
(``heavy.publish``): each write of its progress, in whichever process, reaches the page as it
happens. After a gap in the messages (``resync``) it is read again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heavy.hooks import heavy_use_effect, heavy_use_state, heavy_use_topic
from heavy.live.pubsub import TopicMessage
from heavy.tasks.progress import TaskProgress, newer, progress_of, progress_topic
from heavy.tasks.task import Task


def heavy_use_task(
    task: Task[Any], owner: str | None
) -> tuple[TaskProgress | None, Callable[[TaskProgress | None], None]]:
    """The newest run of ``task`` for ``owner`` (None before it loads, or if there is none),
    and a function to show a run at once (the one a handler just started or cancelled).

    ``owner`` is the key the runs were started for (the signed-in user's id, from the server's
    side of the page, never from what the browser sent); None shows and follows nothing.
    """
    no_progress: TaskProgress | None = None
    progress, set_progress = heavy_use_state(no_progress)
    reads, set_reads = heavy_use_state(0)

    def show(candidate: TaskProgress | None) -> None:
        set_progress(lambda current: newer(current, candidate))

    async def load(_context: Any) -> None:
        if owner is not None:
            show(await task.latest(owner))

    heavy_use_effect(load, [owner, reads], reads_only=True)

    def follow(message: TopicMessage) -> None:
        if message.resync:
            set_reads(lambda count: count + 1)
        else:
            show(progress_of(message.payload))

    heavy_use_topic(None if owner is None else progress_topic(task.name, owner), follow)
    return progress, show
