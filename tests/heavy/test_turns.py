"""heavy.Turns on its own: the order turns are handed in, what a cancelled waiter leaves, the
refusal past a page's limit and the busy notice (the server test in test_create_app.py saturates
a real pool; these take no time)."""

from __future__ import annotations

import asyncio

import pytest
from heavy import TooManyWaitingError, Turns


async def _unit(turns: Turns, page: str, done: list[str], hold: asyncio.Event | None = None) -> None:
    await turns.wait_for_turn(page)
    try:
        if hold is not None:
            await hold.wait()
        done.append(page)
    finally:
        turns.give_back(page)


async def test_pages_take_turns_and_each_page_keeps_its_order() -> None:
    turns, hold = Turns(1), asyncio.Event()
    done: list[str] = []
    first = asyncio.create_task(_unit(turns, "a0", done, hold))
    await asyncio.sleep(0)  # a0 holds the only turn
    # One page's burst, then two other pages: they are served between the burst's units.
    waiting = [asyncio.create_task(_unit(turns, page, done)) for page in ("a", "a", "a", "b", "c")]
    await asyncio.sleep(0)
    assert turns.waiting == 5
    hold.set()
    await asyncio.gather(first, *waiting)
    assert done == ["a0", "a", "b", "c", "a", "a"]
    assert (turns.running, turns.waiting) == (0, 0)


async def test_a_waiter_cancelled_leaves_the_line_and_a_turn_handed_to_it_goes_on() -> None:
    turns, hold = Turns(1), asyncio.Event()
    done: list[str] = []
    holder = asyncio.create_task(_unit(turns, "a", done, hold))
    await asyncio.sleep(0)
    gone = asyncio.create_task(_unit(turns, "b", done))
    late = asyncio.create_task(_unit(turns, "c", done))
    await asyncio.sleep(0)
    gone.cancel()  # its page went away while it waited
    hold.set()
    await asyncio.gather(holder, late)
    assert gone.cancelled()
    assert done == ["a", "c"]
    # Handed the turn, then cancelled before it ran: the turn is passed on, not lost.
    hold2 = asyncio.Event()
    holder = asyncio.create_task(_unit(turns, "a", done, hold2))
    await asyncio.sleep(0)
    unlucky = asyncio.create_task(_unit(turns, "b", done))
    after = asyncio.create_task(_unit(turns, "c", done))
    await asyncio.sleep(0)
    hold2.set()
    await asyncio.sleep(0)  # a gives its turn to b, which has not run yet
    unlucky.cancel()
    await asyncio.gather(holder, after, return_exceptions=True)
    assert done[-2:] == ["a", "c"]
    assert (turns.running, turns.waiting) == (0, 0)


async def test_a_page_past_its_limit_is_refused_and_a_waiting_page_is_told_it_is_busy() -> None:
    turns, hold = Turns(1, per_page=2, busy_after=0.01), asyncio.Event()
    done: list[str] = []
    busy = asyncio.Event()
    told: list[bool] = []

    def tell(is_busy: bool) -> None:
        told.append(is_busy)
        busy.set()

    holder = asyncio.create_task(_unit(turns, "a", done, hold))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(turns.wait_for_turn("b", tell, refusable=True)) for _ in range(2)]
    await asyncio.sleep(0)
    with pytest.raises(TooManyWaitingError):
        await turns.wait_for_turn("b", tell, refusable=True)
    await busy.wait()  # b's oldest unit has waited past busy_after
    assert told == [True]
    hold.set()
    await holder
    await queued[0]
    turns.give_back("b")
    await queued[1]  # b's line is empty now: told it is no longer busy
    turns.give_back("b")
    assert told == [True, False]
    assert (turns.running, turns.waiting) == (0, 0)


async def test_a_page_runs_one_unit_at_a_time_in_order_while_other_pages_run_beside_it() -> None:
    turns, hold = Turns(3), asyncio.Event()
    done: list[str] = []
    first = asyncio.create_task(_unit(turns, "a", done, hold))
    await asyncio.sleep(0)
    second = asyncio.create_task(_unit(turns, "a", done))  # turns are free: waits for a's first
    other = asyncio.create_task(_unit(turns, "b", done))
    await other
    assert (done, turns.running, turns.waiting) == (["b"], 1, 1)
    hold.set()
    await asyncio.gather(first, second)
    assert done == ["b", "a", "a"]
    assert (turns.running, turns.waiting) == (0, 0)
