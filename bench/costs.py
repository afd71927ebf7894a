"""Cost as the work grows: server CPU per event and memory per page from 10 to 1,000 open pages,
events per second and CPU per event from one worker to two, and the related-notes query as one
owner's notes grow (exact scan and HNSW).

Pages: the memory run opens its idle pages and measures RSS at each count first; then, with all
of them still open, a tenth of them click "Read again" (the database click) in turn, and the
server's CPU time over those clicks, divided by their number, is the CPU per event at that
count. The pages above the next count down are then closed and the clicks run again, so the
idle memory figures are not touched by the clicks. Workers and notes reuse the capacity runs
(``bench/replayer.py``) and ``bench/vectors.py``: nothing here measures them again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from heavy.testing.page_driver import WebSocketPage

from bench.measure import Latencies, cpu_share, round_trips, tree_cpu_sample
from bench.vectors import VectorRow

CLICKING_SHARE = 0.1  # of the open pages, those that click
CLICK_BUTTON = "read-user"  # the landing page's "Read again": a read in PostgreSQL and a re-render
SETTLE_S = 2.0  # after opening or closing pages: their (un)mounts, the online count's update to the others
WARMUP_CLICKS = 20  # per clicking page, before the timed ones
IDLE_S = 2.0  # the server's CPU with the pages open and nobody clicking, over this long


@dataclass(frozen=True)
class PagesCost:
    """Clicks with ``pages`` open: ``clickers`` of them clicking, ``events`` clicks in all."""

    pages: int
    clickers: int
    events: int
    cpu_us_per_event: float
    p50_ms: float
    p95_ms: float
    idle_cpu: float  # the server's CPU (share of a core) with the pages open, before the clicks


@dataclass(frozen=True)
class WorkersCost:
    """The capacity runs' best load for a worker count."""

    workers: int
    events_per_s: float
    cpu_us_per_event: float


def clickers_for(pages: int) -> int:
    """How many of ``pages`` click: a fixed share, at least one."""
    return max(1, round(pages * CLICKING_SHARE))


async def measure_page_costs(
    server_pid: int, pages: Sequence[WebSocketPage], counts: Sequence[int], events: int
) -> list[PagesCost]:
    """CPU per click with each of ``counts`` pages open, from the most down (``pages`` are
    open, at least as many as the largest count; those above each count are closed first)."""
    costs = []
    open_pages = list(pages)
    for count in sorted(counts, reverse=True):
        if len(open_pages) > count:
            await asyncio.gather(*(page.connection.close() for page in open_pages[count:]))
            open_pages = open_pages[:count]
        await asyncio.sleep(SETTLE_S)  # the last pages opened or closed: the others' online count
        costs.append(await _click_cost(server_pid, open_pages, events))
        print(f"  {count:,} pages: {costs[-1].cpu_us_per_event:,.0f} µs of server CPU per click")
    return sorted(costs, key=lambda cost: cost.pages)


async def _click_cost(server_pid: int, pages: Sequence[WebSocketPage], events: int) -> PagesCost:
    clickers = pages[: clickers_for(len(pages))]
    await asyncio.gather(*(page.wait_for_text("current-user", "@", timeout=60) for page in clickers))
    each = max(1, events // len(clickers))
    # Each clicking page's first clicks untimed, as row 3's warm-up (the page's first read, its
    # first re-render), so that one page clicking alone compares with row 3.
    await asyncio.gather(*(round_trips(_clicking(page), 0, warmup=WARMUP_CLICKS) for page in clickers))
    idle_from = tree_cpu_sample(server_pid)
    await asyncio.sleep(IDLE_S)
    before = tree_cpu_sample(server_pid)
    runs = await asyncio.gather(*(round_trips(_clicking(page), each, warmup=0) for page in clickers))
    after = tree_cpu_sample(server_pid)
    done = each * len(clickers)
    latencies = Latencies([ms for run in runs for ms in run.samples_ms], max(run.elapsed_s for run in runs))
    cpu_us = (after.cpu_seconds - before.cpu_seconds) / done * 1e6
    return PagesCost(
        len(pages),
        len(clickers),
        done,
        cpu_us,
        latencies.percentile(0.5),
        latencies.percentile(0.95),
        cpu_share(idle_from, before),
    )


def _clicking(page: WebSocketPage) -> Callable[[], Awaitable[None]]:
    async def click() -> None:
        await page.click(CLICK_BUTTON)
        await page.receive(timeout=60)

    return click


def kib_per_page(memory: Sequence[tuple[int, int]], pages: int) -> float | None:
    """(RSS with ``pages`` idle pages - RSS with none) / ``pages``, from the memory run's
    (pages, RSS KiB) pairs whose first is the baseline (0 pages); None if not measured."""
    by_count = dict(memory)
    if 0 not in by_count or pages not in by_count or pages == 0:
        return None
    return (by_count[pages] - by_count[0]) / pages


def workers_cost(workers: int, events_per_s: float, server_cores: float | None) -> WorkersCost:
    """A capacity load's figures as a cost: CPU per answered event from the cores it used."""
    cpu_us = (server_cores or 0.0) / max(events_per_s, 1e-9) * 1e6
    return WorkersCost(workers, events_per_s, cpu_us)


def notes_curves(rows: Sequence[VectorRow]) -> dict[str, list[tuple[int, float]]]:
    """The related-notes p50 by number of notes, one curve per way of searching."""
    curves: dict[str, list[tuple[int, float]]] = {"exact": [], "HNSW": []}
    for row in rows:
        curves["HNSW" if row.index.startswith("HNSW") else "exact"].append((row.notes, row.p50_ms))
    return {name: sorted(points) for name, points in curves.items() if points}


def costs_table(
    pages: Sequence[PagesCost], memory: Sequence[tuple[int, int]], workers: Sequence[WorkersCost]
) -> list[str]:
    """The pages and workers rows as markdown (the notes have the vector table above)."""
    lines = [
        "| open pages | KiB per idle page | server CPU, idle | clicking | clicks | server CPU µs per click "
        "| p50 ms | p95 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cost in pages:
        memory_kib = kib_per_page(memory, cost.pages)
        shown = "" if memory_kib is None else f"{memory_kib:,.0f}"
        lines.append(
            f"| {cost.pages:,} | {shown} | {cost.idle_cpu:.1%} | {cost.clickers:,} | {cost.events:,} "
            f"| {cost.cpu_us_per_event:,.0f} | {cost.p50_ms:.1f} | {cost.p95_ms:.1f} |"
        )
    if workers:
        one = next((w.events_per_s for w in workers if w.workers == 1), None)
        lines += [
            "",
            "| workers | answered events/s at saturation | × 1 worker | server CPU µs per answered event |",
            "| ---: | ---: | ---: | ---: |",
        ]
        for worker in workers:
            ratio = f"{worker.events_per_s / one:.2f}" if one else ""
            lines.append(
                f"| {worker.workers} | {worker.events_per_s:,.0f} | {ratio} | {worker.cpu_us_per_event:,.0f} |"
            )
    return lines


def notes_table(curves: Mapping[str, Sequence[tuple[int, float]]]) -> list[str]:
    """The related-notes p50 side by side, exact and HNSW, by number of notes."""
    sizes = sorted({notes for points in curves.values() for notes, _ in points})
    by_way = {way: dict(points) for way, points in curves.items()}
    lines = [
        "| owner's notes | " + " | ".join(f"{way} p50 ms" for way in by_way) + " |",
        "| ---: |" + " ---: |" * len(by_way),
    ]
    for size in sizes:
        cells = [f"{by_way[way][size]:.2f}" if size in by_way[way] else "" for way in by_way]
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    return lines
