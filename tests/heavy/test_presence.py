"""Presence: pages counted per topic in each process, the counts shared through the hub, the
totals followed by the pages that watch them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from heavy import (
    PostgresTransport,
    Presence,
    PubSub,
    current_presence,
    heavy_use_presence,
    using_pubsub,
)
from heavy.live.presence import NOTIFY_SLICE
from heavy.testing.page_driver import InProcessPage
from reactpy import component, html

from heavy_stack.frontend.types import Component


async def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110 - polling what the heartbeats fill
            await asyncio.sleep(0.01)


@asynccontextmanager
async def process(database_urls: tuple[str, str]) -> AsyncIterator[Presence]:
    """What one server process runs: a hub over PostgreSQL, and its presence."""
    pubsub = PubSub(PostgresTransport(database_urls[0], "test.presence"))
    presence = Presence(pubsub)
    tasks = [asyncio.create_task(pubsub.run()), asyncio.create_task(presence.run())]
    try:
        await eventually(lambda: pubsub.connected)
        yield presence
    finally:
        for task in reversed(tasks):  # presence first: it says goodbye through the hub
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def test_pages_counted_in_one_process_are_seen_in_another_and_leave_with_it(
    database_urls: tuple[str, str],
) -> None:
    async with AsyncExitStack() as stack:
        here = await stack.enter_async_context(process(database_urls))
        async with process(database_urls) as there:
            seen_there: list[int] = []
            there.watch("note:1", seen_there.append)
            leave_first = there.join("note:1")
            there.join("note:1")
            there.join("note:2")
            await eventually(lambda: here.total("note:1") == 2 and here.total("note:2") == 1)

            leave_first()
            leave_first()  # leaving twice counts once
            await eventually(lambda: here.total("note:1") == 1)
            assert there.total("note:1") == 1
            await eventually(lambda: seen_there[-1:] == [1])

            with here.joined("note:1"):
                await eventually(lambda: there.total("note:1") == 2)
            await eventually(lambda: there.total("note:1") == 1)
        # ``there`` stopped and said goodbye: its pages are no longer counted anywhere.
        await eventually(lambda: here.total("note:1") == 0 and here.total("note:2") == 0)


@component
def OnNote(note: str) -> Component:
    here = heavy_use_presence(note)
    return html.p({"id": "here"}, f"{here} here")


async def test_pages_on_the_same_topic_see_each_other_come_and_go() -> None:
    with using_pubsub(PubSub()):
        presence = current_presence()
        async with InProcessPage.open(OnNote("note:7"), router=False) as first:
            await first.wait_for_text("here", "1 here")
            async with InProcessPage.open(OnNote("note:7"), router=False) as second:
                await second.wait_for_text("here", "2 here")
                await first.wait_for_text("here", "2 here")
                async with InProcessPage.open(OnNote("note:8"), router=False) as elsewhere:
                    await elsewhere.wait_for_text("here", "1 here")
            await first.wait_for_text("here", "1 here")
        assert presence.total("note:7") == 0
        assert presence.watcher_count() == 0


async def test_many_watchers_are_told_a_slice_at_a_time_and_not_after_they_stop() -> None:
    # Each watcher re-renders a page: told all in one turn of the loop, 120 pages would hold
    # every other page's answer back behind 120 renders.
    presence = Presence(PubSub())
    loop = asyncio.get_running_loop()
    told_at: dict[int, float] = {}
    unwatches: dict[int, Callable[[], None]] = {}

    def watcher(number: int) -> Callable[[int], None]:
        def told(total: int) -> None:
            assert total == 1
            if not told_at:  # the first one told closes ten pages that have not been told yet
                for other in [n for n in unwatches if n != number][:10]:
                    unwatches.pop(other)()
            told_at[number] = loop.time()

        return told

    for number in range(120):
        unwatches[number] = presence.watch("note:9", watcher(number))
    with presence.joined("note:9"):
        await eventually(lambda: len(told_at) == 110)
        await asyncio.sleep(0.1)  # no late call to a page that was closed
    assert sorted(told_at) == sorted(unwatches)
    turns = sorted(set(told_at.values()))
    assert len(turns) >= 120 // NOTIFY_SLICE
    assert max(list(told_at.values()).count(turn) for turn in turns) <= NOTIFY_SLICE


@pytest.mark.parametrize("watching", [3, 60, 150])
async def test_the_more_pages_watch_the_longer_between_two_rounds(watching: int) -> None:
    # Every page shows the online count: told every second, 500 open pages would be 500 renders
    # a second while pages come and go. A round that told many pages spaces the next one out.
    presence = Presence(PubSub(), notify_seconds=0.05, notify_per_second=100)
    loop = asyncio.get_running_loop()
    rounds: dict[int, list[float]] = {}

    def told(total: int) -> None:
        rounds.setdefault(total, []).append(loop.time())

    for _ in range(watching):
        presence.watch("note:3", lambda total: told(total))  # a watcher per page
    leave = presence.join("note:3")
    await eventually(lambda: len(rounds.get(1, ())) == watching)
    leave()
    await eventually(lambda: len(rounds.get(0, ())) == watching)
    between = min(rounds[0]) - min(rounds[1])
    spacing = max(0.05, watching / 100)
    assert spacing <= between < spacing + 2.0  # slack for a busy machine, far below the 10 s cap


@pytest.mark.parametrize("turns_between", [0, 1, 2, 3])
async def test_a_presence_cancelled_as_a_page_leaves_still_stops(turns_between: int) -> None:
    """A server stops while its pages close: a page leaving wakes the heartbeat loop in the same
    turns of the loop as the stop's cancel reaches it, and the loop must end all the same."""
    presence = Presence(PubSub())
    running = asyncio.create_task(presence.run())
    await asyncio.sleep(0.05)  # waiting for its next heartbeat
    presence.join("note:1")()  # joins and leaves: a heartbeat is due
    for _ in range(turns_between):
        await asyncio.sleep(0)
    running.cancel()
    done, _ = await asyncio.wait([running], timeout=2.0)
    try:
        assert done, "the heartbeat loop outlived its cancel"
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
