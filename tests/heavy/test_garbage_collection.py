"""``heavy.tune_garbage_collector`` and ``collect_cycles``: a server collects cycles on a clock.

Young collections driven by allocations found nothing under load and stopped the loop for up
to 200 ms each; a server now leaves its cycles to a full collection every few minutes. The
tests check both halves a server relies on: allocations alone (many thousands of new objects,
more than the spaced-out thresholds allowed before a collection) no longer collect, and the
clock's collection does free a cycle nothing else refers to.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
from heavy import SPACED_THRESHOLDS, tune_garbage_collector
from heavy.web.garbage_collection import SERVER_THRESHOLDS, collect_cycles


class Node:
    """One half of a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def tuned_collector() -> Iterator[None]:
    before = gc.get_threshold()
    tune_garbage_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def _unreachable_cycle() -> weakref.ref[Node]:
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.mark.usefixtures("tuned_collector")
def test_allocations_leave_cycles_to_the_clock_which_frees_them() -> None:
    cycle = _unreachable_cycle()
    kept = [[index] for index in range(SPACED_THRESHOLDS[0] * 2)]  # past the old young threshold
    assert cycle() is not None, "a young collection ran on allocations alone"
    asyncio.run(collect_cycles())
    assert cycle() is None, "the clock's collection left an unreachable cycle"
    assert len(kept) == SPACED_THRESHOLDS[0] * 2


@pytest.mark.usefixtures("tuned_collector")
def test_the_safety_net_still_collects_a_burst_of_cyclic_garbage() -> None:
    cycle = _unreachable_cycle()
    for _ in range(SERVER_THRESHOLDS[0] // 2 + 1):  # two objects per cycle: past the threshold
        _unreachable_cycle()
    assert cycle() is None, "cyclic garbage grew past the safety net's threshold uncollected"


def test_a_process_without_a_clock_keeps_collecting_on_allocations() -> None:
    before = gc.get_threshold()
    tune_garbage_collector(SPACED_THRESHOLDS)
    try:
        assert gc.get_threshold() == SPACED_THRESHOLDS
        cycle = _unreachable_cycle()
        kept = [[index] for index in range(SPACED_THRESHOLDS[0] * 2)]
        assert cycle() is None, "no young collection came on allocations"
        assert kept
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
