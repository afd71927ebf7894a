"""The notes page's "Re-index all my notes": a queued task with a progress bar and a Cancel button.

The run is the signed-in user's (its owner is their id, from the ``AppContext``, never from event
data). ``heavy_use_task`` shows their newest run, as stored: after a reload, or a restart of the
server that ran it, the page shows where it is again; each report of the run reaches the page
as it is written, whichever instance runs it (pub/sub).
"""

from __future__ import annotations

import heavy
from heavy import TaskProgress, TaskState, heavy_use_context, heavy_use_state, heavy_use_task
from reactpy import component, html

from heavy_stack.backend.services.reindex import reindex_notes
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.components import (
    Button,
    ButtonKind,
    ButtonRow,
    Feedback,
    FormMessage,
    Paragraph,
    Section,
)
from heavy_stack.frontend.contexts import CurrentUserContext
from heavy_stack.frontend.types import Component

ALREADY_RUNNING = "A re-index of your notes is already under way."
NOT_LIVE = "That re-index had already ended."


def _owner(context: AppContext) -> str:
    return str(context.require_user().id)


@component
def ReindexPanel() -> Component:
    """Start a re-index of the user's notes, watch it, cancel it; its outcome in words."""
    user = heavy_use_context(CurrentUserContext)
    progress, show = heavy_use_task(reindex_notes, None if user is None else str(user.id))
    message, set_message = heavy_use_state(Feedback())

    async def start(context: AppContext) -> None:
        try:
            started = await reindex_notes.start(context.services.database, _owner(context))
        except heavy.TaskAlreadyRunningError:
            set_message(Feedback.error(ALREADY_RUNNING))
            show(await reindex_notes.latest(_owner(context)))
            return
        set_message(Feedback())
        show(started)

    async def cancel(context: AppContext) -> None:
        if progress is None:
            return
        if not await reindex_notes.cancel(context.services.database, _owner(context), progress.job_id):
            set_message(Feedback.info(NOT_LIVE))
        show(await reindex_notes.latest(_owner(context)))

    live = progress is not None and progress.live
    buttons = (
        [Button("Cancel", heavy.heavy_event(cancel), id="reindex-cancel", kind=ButtonKind.SECONDARY)]
        if live
        else [
            Button(
                "Re-index all my notes", heavy.heavy_event(start), id="reindex-start", kind=ButtonKind.PRIMARY
            )
        ]
    )
    return Section(
        "Re-index",
        Paragraph("Compute the related-notes index of every note of yours again."),
        *(
            []
            if progress is None
            else [ProgressBar(progress), Paragraph(_outcome(progress), id="reindex-status")]
        ),
        ButtonRow(*buttons),
        FormMessage(message, id="reindex-message"),
        id="reindex",
    )


def ProgressBar(progress: TaskProgress) -> Component:
    """The run's progress bar: a ``<progress>`` (role ``progressbar``), its value in percent,
    also in ``aria-valuenow`` for whoever reads the attribute; the words are beside it."""
    percent = str(progress.percent)
    return html.progress(
        {
            "id": "reindex-progress",
            "className": "progress",
            "max": "100",
            "value": percent,
            "aria-label": "Re-index progress",
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": percent,
        }
    )


def _outcome(progress: TaskProgress) -> str:
    counted = f"{progress.done} of {progress.total}" if progress.total is not None else f"{progress.done}"
    match progress.state:
        case TaskState.QUEUED:
            return progress.message or "Waiting for a server to start it…"
        case TaskState.RUNNING:
            return progress.message or "Starting…"
        case TaskState.RETRYING:
            return f"{progress.message} ({progress.error})"
        case TaskState.DONE:
            return f"Done: {counted} notes re-indexed."
        case TaskState.CANCELLED:
            return f"Cancelled after {counted} notes."
        case TaskState.FAILED:
            return f"Re-indexing failed: {progress.error or 'an unknown error'}. Nothing more was changed."
