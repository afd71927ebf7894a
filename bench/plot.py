"""The "cost as the work grows" figure of ``docs/benchmarks.md``: a PNG drawn with matplotlib
(a development dependency only, as the bench is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from bench.costs import PagesCost, kib_per_page

PLOT_NAME = "benchmarks-costs.png"
MEMORY_GOAL_KIB = 64  # issue 26's, at 1,000 idle pages


def plot_costs(
    path: Path,
    pages: Sequence[PagesCost],
    memory: Sequence[tuple[int, int]],
    notes: Mapping[str, Sequence[tuple[int, float]]],
) -> Path:
    """Three panels on log x axes: server CPU per click and memory per idle page against open
    pages, and the related-notes query's p50 against one owner's notes (one line per way)."""
    # A Figure of its own, not pyplot's: no global state, no display; PNG goes through Agg.
    figure = Figure(figsize=(13, 3.8), layout="tight")
    cpu_axes, memory_axes, notes_axes = figure.subplots(1, 3)
    cpu_axes.plot([c.pages for c in pages], [c.cpu_us_per_event for c in pages], marker="o")
    cpu_axes.set(title="Server CPU per click", xlabel="open pages", ylabel="µs")
    smallest = min((cost.pages for cost in pages), default=1)  # the same pages as the CPU panel
    memory_points = [(n, kib_per_page(memory, n)) for n, _ in memory if n >= smallest]
    shown = [(n, kib) for n, kib in memory_points if kib is not None]
    memory_axes.plot([n for n, _ in shown], [kib for _, kib in shown], marker="o")
    memory_axes.set(title="Memory per idle page", xlabel="open pages", ylabel="KiB (RSS)")
    memory_axes.axhline(MEMORY_GOAL_KIB, color="tab:green", linestyle="--", label="goal")
    memory_axes.legend()
    for axes in (cpu_axes, memory_axes):
        axes.set_ylim(bottom=0)
    for way, points in notes.items():
        notes_axes.plot([n for n, _ in points], [ms for _, ms in points], marker="o", label=way)
    notes_axes.set(title="Related notes, p50", xlabel="one owner's notes", ylabel="ms", yscale="log")
    if notes:
        notes_axes.legend()
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")  # 1,000, not 10³
    notes_axes.yaxis.set_major_formatter(plain)
    notes_axes.yaxis.set_minor_formatter(FuncFormatter(_twos_and_fives))
    for axes in (cpu_axes, memory_axes, notes_axes):
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(plain)
        axes.grid(True, which="both", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def _twos_and_fives(value: float, _position: int | None) -> str:
    """Minor ticks of a log axis labelled at 2 and 5 of each decade only (2, 5, 20, 50...)."""
    leading = f"{value:.0e}"[0]
    return f"{value:g}" if leading in "25" else ""
