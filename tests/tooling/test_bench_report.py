"""The bench's report code, fed a few figures by hand: the targets table and the costs plot
(no benchmark runs here)."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from bench.__main__ import Row, _load_asked_and_served, _speed_line
from bench.costs import PagesCost, costs_table, notes_curves, notes_table, workers_cost
from bench.latency import analyse
from bench.measure import process_cpu_seconds, python_speed_ms
from bench.plot import plot_costs
from bench.targets import NOT_MEASURED, Figures, NextLoad, issue_targets, targets_table
from bench.vectors import VectorRow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_targets_table_names_every_target_and_says_which_were_not_measured() -> None:
    measured = Figures(idle_kib_per_page=58.4, replay_failures=3, replay_p95_ms=41.0)
    table = "\n".join(targets_table(issue_targets(measured)))

    for words in ("CPU per database click", "1,000 pages", "10,000 pages", "first visit", "500 replayed"):
        assert words in table
    memory_row, replay_row = _row(table, "Memory per idle"), _row(table, "500 replayed")
    assert "58 KiB" in memory_row
    assert memory_row.endswith("| met |")
    assert "3 failures, p95 41 ms" in replay_row
    assert replay_row.endswith("| not met |")
    assert _row(table, "first visit").endswith(f"| {NOT_MEASURED} |")
    assert _row(table, "1,000 replayed").endswith(f"| {NOT_MEASURED} |")
    next_load = NextLoad(12, 900.0, "12× WS connection: TimeoutError; the server was the limit")
    table = "\n".join(targets_table(issue_targets(replace(measured, next_load=next_load))))
    assert "12 failures, p95 900 ms; first: 12× WS connection: TimeoutError; the server was" in table


def test_a_replay_that_recorded_no_answered_event_is_not_a_met_target() -> None:
    empty = Figures(replay_failures=0, replay_p95_ms=0.0, replay_answered=False)
    table = "\n".join(targets_table(issue_targets(empty)))

    assert _row(table, "500 replayed").endswith(f"(the replay recorded no answered event) | {NOT_MEASURED} |")


def test_a_click_measured_only_by_latency_shows_that_figure_but_no_verdict() -> None:
    by_latency = "\n".join(targets_table(issue_targets(Figures(click_latency_ratio=3.41))))
    by_cpu = "\n".join(targets_table(issue_targets(Figures(click_cpu_ratio=1.15, click_latency_ratio=3.4))))

    assert _row(by_latency, "CPU per database click").endswith(f"(p50 round trips: 3.41×) | {NOT_MEASURED} |")
    assert _row(by_cpu, "CPU per database click").endswith("| 1.15× | met |")


def test_the_costs_plot_is_written_with_their_tables(tmp_path: Path) -> None:
    pages = [
        PagesCost(10, 1, 2000, 610.0, 1.1, 2.5, 0.002),
        PagesCost(100, 10, 2000, 820.0, 4.0, 9.1, 0.004),
        PagesCost(1000, 100, 2000, 1400.0, 51.0, 80.0, 0.031),
    ]
    memory = [(0, 100_000), (1, 100_100), (10, 101_300), (100, 113_000), (1000, 230_000)]
    vectors = [
        VectorRow(notes, index, p50, p50 * 1.4, 1.0, 0.0)
        for notes, exact_ms, hnsw_ms in [(1_000, 1.8, 2.1), (10_000, 4.7, 5.9), (100_000, 50.3, 52.0)]
        for index, p50 in [("none (exact, owner_id index)", exact_ms), ("HNSW, iterative scan", hnsw_ms)]
    ]
    workers = [workers_cost(1, 700.0, 1.0), workers_cost(2, 1120.0, 1.68)]

    plot = plot_costs(tmp_path / "docs" / "costs.png", pages, memory, notes_curves(vectors))
    tables = "\n".join(costs_table(pages, memory, workers) + notes_table(notes_curves(vectors)))

    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    assert (
        "| 1,000 | 130 | 3.1% | 100 | 2,000 | 1,400 | 51.0 | 80.0 |" in tables
    )  # (230,000 - 100,000) / 1,000
    assert "| 2 | 1,120 | 1.60 | 1,500 |" in tables  # 1.68 cores / 1,120 events a second
    assert "| 100,000 | 50.30 | 52.00 |" in tables


def _row(table: str, name: str) -> str:
    return next(line for line in table.splitlines() if name in line)


def test_the_latency_report_shows_each_probe_and_each_collectors_generation() -> None:
    report = {
        "seconds": 10.0,
        "lag": [1.0, 2.0, 30.0],
        "wait": [0.5] * 19 + [40.0],
        "answer": [5.0] * 19 + [80.0],
        "connect": [],
        # generation, at, wall ms, CPU ms, objects found unreachable
        "gc": [(0, 1.0, 12.0, 10.0, 300), (0, 5.0, 14.0, 11.0, 100), (1, 6.0, 90.0, 80.0, 2_000)],
        "renders": {"Page": [1.0, 1.2], "Counter": [0.1]},
        "samples": {},
    }
    lines = analyse(report, top=0)
    assert any(line.startswith("answer") and "p95    80.0" in line for line in lines)
    assert any(line.startswith("connect") and "n=     0" in line for line in lines)
    [young] = [line for line in lines if line.startswith("gc gen 0")]
    assert "2 pauses" in young
    assert "max 14.0 ms" in young
    assert "collected 40 objects/s" in young
    [middle] = [line for line in lines if line.startswith("gc gen 1")]
    assert "CPU median 80.0" in middle
    renders = [line.split()[0] for line in lines if line.startswith("  ")]
    assert renders == ["Page", "Counter"]  # the costliest first


def test_a_process_cpu_time_is_read_finer_than_clock_ticks() -> None:
    # The bench's CPU per click divides a server's CPU time over 100-click batches: read in
    # 10 ms ticks it rounded each batch by up to a tick.
    busy_until = time.process_time() + 0.0123
    while time.process_time() < busy_until:
        pass
    read, own = process_cpu_seconds(os.getpid()), time.process_time()

    assert abs(read - own) < 0.002  # ticks would be up to 10 ms off


def test_the_report_gives_the_load_each_replay_asked_for_beside_what_was_served() -> None:
    asked = Row("4. demo replay, 500 users", 20, 90, 150, 600.0, asked_per_second=1504.6)
    capacity = Row("20 back-to-back users", 5, 9, 12, 1000.0)
    lines = _load_asked_and_served([asked, capacity])
    assert lines[-1] == "- 4. demo replay, 500 users: asked 1,505 steps/s, served 600 (40%)"
    assert not any("back-to-back" in line for line in lines)
    assert _load_asked_and_served([capacity]) == []


def test_the_report_gives_the_machines_speed_around_the_replays() -> None:
    speed = python_speed_ms(rounds=1)
    assert speed > 0
    line = _speed_line([112.4, 131.6])[-1]
    assert "took 112 ms before the replays and 132 ms after" in line
    assert _speed_line([]) == []  # a run without replays (--memory, --clicks) says nothing
