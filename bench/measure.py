"""Measuring tools: latency samples, a server process's CPU and memory, the machine."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank); NaN if none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(frozen=True)
class Latencies:
    """Round-trip times in milliseconds, and how long the whole series took."""

    samples_ms: list[float]
    elapsed_s: float

    def percentile(self, fraction: float) -> float:
        return percentile(self.samples_ms, fraction)

    @property
    def per_second(self) -> float:
        return len(self.samples_ms) / self.elapsed_s

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)


async def round_trips(step: Callable[[], Awaitable[None]], count: int, warmup: int) -> Latencies:
    """Time ``count`` sequential calls of ``step`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        await step()
    samples = []
    started = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter()
        await step()
        samples.append((time.perf_counter() - before) * 1000)
    return Latencies(samples, time.perf_counter() - started)


@dataclass(frozen=True)
class ProcessSample:
    cpu_seconds: float
    at: float


def cpu_sample(pid: int) -> ProcessSample:
    """The process's CPU time so far (user + system, its ended threads' too)."""
    return ProcessSample(process_cpu_seconds(pid), time.monotonic())


def process_cpu_seconds(pid: int) -> float:
    """CPU time so far of process ``pid``, to the nanosecond where Linux tells it.

    ``/proc/PID/stat`` counts in clock ticks (10 ms): a batch of 100 clicks at 0.2 ms each is
    2 ticks, give or take one at each end, so a row's CPU per click wandered by about ±5 %
    between runs from rounding alone (2,000 clicks in 20 batches). The process's CPU-time
    clock (``clock_getcpuclockid``'s, made from the pid as glibc does) has no such step.
    """
    try:
        return time.clock_gettime(_process_cpu_clock(pid))
    except OSError:  # not Linux, or the process is gone: ticks
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user_ticks, system_ticks = int(fields[11]), int(fields[12])
        return (user_ticks + system_ticks) / CLOCK_TICKS


def _process_cpu_clock(pid: int) -> int:
    # Linux's clock id of a process's CPU time: (~pid << 3) | CPUCLOCK_SCHED (2), the one
    # glibc's clock_getcpuclockid returns (Python has no binding for it).
    return ((~pid) << 3) | 2


def tree_cpu_sample(pid: int) -> ProcessSample:
    """CPU time so far of the process and its Python children (Sanic's workers), not PostgreSQL."""
    total = process_cpu_seconds(pid)
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if "python" in child.name().lower():
                total += process_cpu_seconds(child.pid)
        except (psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):  # ended meanwhile
            continue
    return ProcessSample(total, time.monotonic())


def children_cpu_sample() -> ProcessSample:
    """CPU time so far of this process's finished child processes (e.g. a Locust run)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ProcessSample(usage.ru_utime + usage.ru_stime, time.monotonic())


def cpu_share(before: ProcessSample, after: ProcessSample) -> float:
    """CPU used between two samples, as a share of one core (1.0 = one core busy)."""
    return (after.cpu_seconds - before.cpu_seconds) / max(after.at - before.at, 1e-9)


def rss_kb(pid: int) -> int:
    """Resident memory of the process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


SPEED_LOOP = 2_000_000


def python_speed_ms(rounds: int = 3) -> float:
    """Milliseconds this machine takes for a fixed pure-Python loop, best of ``rounds``.

    A shared machine is slower at some moments than at others (the bench machine's replays
    differed by more than the changes they judged): read before and after the replays, it
    tells whether a run's figures were taken at one speed, and two runs' at the same."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for number in range(SPEED_LOOP):
            total += number & 7
        best = min(best, time.perf_counter() - start)
    return best * 1000


def machine_description() -> str:
    """CPU model, cores, memory, OS and Python: what the figures depend on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
