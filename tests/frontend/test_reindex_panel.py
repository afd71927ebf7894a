"""The notes page's Re-index section shows a stored run in words: a failure says why, an attempt
that failed says it will be tried again (in process; the runs themselves are tested in
tests/heavy/test_tasks.py and in Chromium on the cluster)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.services.reindex import reindex_notes
from heavy_stack_testing.fixtures.pages import NewAccount, OpenPage

REFUSED = "The vector database stopped answering (connection refused)."


@pytest.mark.parametrize(
    ("state", "message", "expected"),
    [
        (
            "failed",
            "Failed",
            "Re-indexing failed: The vector database stopped answering (connection refused). Nothing more was changed.",
        ),
        (
            "retrying",
            "Attempt 1 failed; trying again in 1 s",
            "An attempt failed (The vector database stopped answering (connection refused)); it will be tried again.",
        ),
    ],
)
async def test_a_stored_run_that_failed_is_told_in_words(
    open_page: OpenPage,
    new_account: NewAccount,
    db_session: AsyncSession,
    state: str,
    message: str,
    expected: str,
) -> None:
    visitor = await new_account()
    assert visitor.user is not None
    connection = await db_session.connection()
    await connection.execute(
        text(
            "INSERT INTO heavy_task_progress (job_id, task, owner, state, done, total, message, error, attempt) "
            "VALUES (:job_id, :task, :owner, :state, 2, 5, :message, :error, 3)"
        ),
        {
            "job_id": random.randrange(10**12, 10**13),  # never one of pgqueuer's ids
            "task": reindex_notes.name,
            "owner": str(visitor.user.id),
            "state": state,
            "message": message,
            "error": REFUSED,
        },
    )
    async with open_page("/notes", visitor=visitor) as page:
        await page.wait_for_text("reindex-status", expected)
        bar = page.layout.find(id="reindex-progress")
        assert bar.attributes["aria-valuenow"] == "40"
