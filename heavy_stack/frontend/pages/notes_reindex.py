"""The notes page's "Re-index all my notes": a queued task with a progress bar and a Cancel button.

The run is the signed-in user's (its owner is their id, from the ``AppContext``, never from event
data). ``heavy_use_task`` shows their newest run, as stored: after a reload, or a restart of the
server that ran it, the page shows where it is again; each report of the run reaches the page
as it is written, whichever instance runs it (pub/sub).
"""

from __future__ import annotations

import heavy
from heavy import N_, TaskProgress, TaskState, heavy_use_context, heavy_use_state, heavy_use_task, html
from heavy import gettext as t
from reactpy import component

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

ALREADY_RUNNING = N_("A re-index of your notes is already under way.")
NOT_LIVE = N_("That re-index had already ended.")


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
            set_message(Feedback.error(t(ALREADY_RUNNING)))
            show(await reindex_notes.latest(_owner(context)))
            return
        set_message(Feedback())
        show(started)

    async def cancel(context: AppContext) -> None:
        if progress is None:
            return
        if not await reindex_notes.cancel(context.services.database, _owner(context), progress.job_id):
            set_message(Feedback.info(t(NOT_LIVE)))
        show(await reindex_notes.latest(_owner(context)))

    live = progress is not None and progress.live
    buttons = (
        [Button(t("Cancel"), heavy.heavy_event(cancel), id="reindex-cancel", kind=ButtonKind.SECONDARY)]
        if live
        else [
            Button(
                t("Re-index all my notes"),
                heavy.heavy_event(start),
                id="reindex-start",
                kind=ButtonKind.PRIMARY,
            )
        ]
    )
    return Section(
        t("Re-index"),
        Paragraph(t("Compute the related-notes index of every note of yours again.")),
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
            "aria-label": t("Re-index progress"),
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": percent,
        }
    )


def _outcome(progress: TaskProgress) -> str:
    """In the page's language: said here from the run's figures, not from the English its worker
    (which serves no visitor) stored, except heavy's own notes, which its catalogue has."""
    done, total, counted = progress.done, progress.total, progress.total is not None
    match progress.state:
        case TaskState.QUEUED:
            return t(progress.message) if progress.message else t("Waiting for a server to start it…")
        case TaskState.RUNNING if counted:
            return t("{done} of {total} notes re-indexed").format(done=done, total=total)
        case TaskState.RUNNING:
            return t("Starting…")
        case TaskState.RETRYING:
            return t("An attempt failed ({error}); it will be tried again.").format(error=_clause(progress))
        case TaskState.DONE if counted:
            return t("Done: {done} of {total} notes re-indexed.").format(done=done, total=total)
        case TaskState.DONE:
            return t("Done: {done} notes re-indexed.").format(done=done)
        case TaskState.CANCELLED if counted:
            return t("Cancelled after {done} of {total} notes.").format(done=done, total=total)
        case TaskState.CANCELLED:
            return t("Cancelled after {done} notes.").format(done=done)
        case TaskState.FAILED:
            return t("Re-indexing failed: {error}. Nothing more was changed.").format(error=_clause(progress))


def _clause(progress: TaskProgress) -> str:
    """The run's error inside a sentence of ours: without a full stop of its own."""
    return (progress.error or t("an unknown error")).rstrip(".")
