"""``heavy.live.eager_task.start_eagerly``: a task whose first step runs in the caller's turn,
and otherwise behaves as any asyncio task (its result, its error, its cancel, its context)."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest
from heavy.live.eager_task import start_eagerly

label: contextvars.ContextVar[str] = contextvars.ContextVar("label", default="caller's")


async def test_the_first_step_runs_before_it_returns_as_the_task_in_a_context_of_its_own() -> None:
    steps: list[str] = []
    seen: dict[str, Any] = {}
    registered: list[asyncio.Task[Any]] = []
    caller = asyncio.current_task()

    async def work() -> str:
        seen["task"] = asyncio.current_task()
        seen["registered"] = list(registered)
        seen["label"] = label.get()
        label.set("task's")
        steps.append("first")
        await asyncio.sleep(0)
        steps.append("second")
        return label.get()

    task = start_eagerly(work(), registered.append)
    assert steps == ["first"]
    assert seen["task"] is task
    assert seen["registered"] == [task], "registered before its first step"
    assert seen["label"] == "caller's"
    assert label.get() == "caller's", "what the task sets stays in its context"
    assert asyncio.current_task() is caller
    assert "<locals>.work()" in repr(task), "named by its coroutine, in logs too"
    assert await task == "task's"
    assert steps == ["first", "second"]


async def test_a_coroutine_that_never_waits_is_done_as_it_returns_and_a_later_cancel_keeps_it() -> None:
    ran: list[str] = []

    async def quick() -> int:
        ran.append("all")
        return 42

    task = start_eagerly(quick())
    assert ran == ["all"]
    task.cancel()  # before the task's first turn: the work is done already
    assert await task == 42


@pytest.mark.parametrize("waits", [0, 1])
async def test_an_error_is_the_tasks_whether_raised_at_once_or_later(waits: int) -> None:
    async def failing() -> None:
        for _ in range(waits):
            await asyncio.sleep(0)
        raise ValueError("refused")

    task = start_eagerly(failing())
    with pytest.raises(ValueError, match="refused"):
        await task


@pytest.mark.parametrize("turns_before_cancel", [0, 1, 3])
async def test_a_cancel_reaches_the_coroutine_where_it_waits_and_its_cleanup_runs(
    turns_before_cancel: int,
) -> None:
    """Before the task's first turn too: the coroutine is not left suspended for the garbage
    collector to close, and what it waits on is cancelled, as Task.cancel does."""
    waited_on: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def waits_for_ever() -> None:
        try:
            await waited_on
        except asyncio.CancelledError:
            cleaned.append("cancelled where it waited")
            raise
        finally:
            cleaned.append("cleaned up")

    task = start_eagerly(waits_for_ever())
    for _ in range(turns_before_cancel):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert cleaned == ["cancelled where it waited", "cleaned up"]
    assert waited_on.cancelled()


async def test_a_future_that_is_done_before_the_tasks_first_turn_wakes_it() -> None:
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def takes() -> str:
        return await ready

    task = start_eagerly(takes())
    ready.set_result("taken")
    assert await task == "taken"


async def test_tasks_started_from_a_callback_outside_any_task_work_too() -> None:
    done: asyncio.Future[asyncio.Task[str]] = asyncio.get_running_loop().create_future()

    async def work() -> str:
        await asyncio.sleep(0)
        return "from a callback"

    asyncio.get_running_loop().call_soon(lambda: done.set_result(start_eagerly(work())))
    assert await (await done) == "from a callback"
