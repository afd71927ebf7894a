"""Whose CPU limited a load test: the load generator's own, and the server's found by its port.

A load generator on the same machine as the server shares its cores: when it runs near a core
of its own, the latencies it reports are partly its own queueing, not the server's. So a load
test says what both spent over the run, as a share of one core (100 % = one core busy):

- the load generator: this process and every process under it (Locust's ``--processes`` workers);
- the server: the processes listening on the port it was given (psutil), with the Python
  processes under them (Sanic's workers), and apart from them the other processes under them
  (the embedded PostgreSQL the app started), when it can see them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

# Starts the report's last line, which says which side was the limit (read back by
# ``heavy.testing.replay.ReplayResult.limit``).
LIMIT_PREFIX = "limit: "
GENERATOR_PREFIX = "load generator: "
# Above this share of one core per process the generator is near its limit: its figures
# include its own waiting.
BUSY_SHARE = 0.85


@dataclass(frozen=True)
class _Sample:
    at: float
    generator: dict[int, float]  # CPU seconds so far, per process
    server: float | None
    database: float | None
    machine: float  # every core's busy seconds so far, any process's


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


@dataclass(frozen=True)
class CpuShares:
    """What each side spent between two samples, in cores (1.0 = one core busy)."""

    seconds: float
    generator: float
    generator_processes: int
    generator_busiest: float  # the busiest of its processes (one process uses one core at most)
    server: float | None  # None: no server process found on the port
    database: float | None
    server_pids: tuple[int, ...]
    machine: float  # cores busy with anything, other processes too

    def lines(self, requests: int = 0) -> list[str]:
        """The report: one line per side, and which one limited the run."""
        cores = os.cpu_count() or 1
        per_request = (
            f", {self.generator * self.seconds * 1000 / requests:.2f} ms per request" if requests else ""
        )
        lines = [
            f"CPU over the run ({self.seconds:.0f} s; 100% = one core, this machine has {cores}):",
            f"  {GENERATOR_PREFIX}{self.generator:.0%} in {self.generator_processes} process(es) "
            f"(the busiest {self.generator_busiest:.0%}){per_request}",
        ]
        if self.server is None:
            lines.append("  server: not found on its port (not on this machine, or not visible)")
        else:
            pids = ", ".join(map(str, self.server_pids))
            lines.append(f"  server: {self.server:.0%} (process {pids} and its Python workers)")
            if self.database:
                lines.append(f"  database processes under the server: {self.database:.0%}")
        others = self.machine - self.generator - (self.server or 0.0) - (self.database or 0.0)
        lines.append(
            f"  the whole machine: {self.machine:.0%} ({max(others, 0.0):.0%} of it other processes)"
        )
        lines.append(f"  {LIMIT_PREFIX}{self.verdict()}")
        return lines

    def verdict(self) -> str:
        """Which side was the limit, in words."""
        cores = os.cpu_count() or 1
        generator_busy = self.generator_busiest >= BUSY_SHARE
        if generator_busy:
            return (
                "the load generator was the limit (a process of it near a core): its latencies include "
                "its own waiting (more processes: PROCESSES=2, Locust's --processes; or fewer users)"
            )
        if self.machine >= BUSY_SHARE * cores:
            return (
                "the machine's cores were all busy: the server waited for a core (figures from a "
                "busy machine are not the server's capacity)"
            )
        if self.server is not None and self.server >= BUSY_SHARE:
            return "the server was the limit (a core busy), not the load generator"
        return "neither was at its limit"


class CpuWatch:
    """Samples the load generator and the server listening on ``port`` (``start``, ``shares``)."""

    def __init__(self, port: int | None) -> None:
        self._port = port
        self._server = _listeners(port) if port is not None else []
        self._started: _Sample | None = None

    def start(self) -> None:
        self._started = self._sample()

    def shares(self) -> CpuShares | None:
        """What each side spent since ``start`` (None before it)."""
        started, now = self._started, self._sample()
        if started is None:
            return None
        seconds = max(now.at - started.at, 1e-9)

        def share(before: float | None, after: float | None) -> float | None:
            return None if before is None or after is None else (after - before) / seconds

        spent = {pid: cpu - started.generator.get(pid, 0.0) for pid, cpu in now.generator.items()}
        return CpuShares(
            seconds,
            sum(spent.values()) / seconds,
            len(spent),
            max(spent.values(), default=0.0) / seconds,
            share(started.server, now.server),
            share(started.database, now.database),
            tuple(process.pid for process in self._server),
            (now.machine - started.machine) / seconds,
        )

    def _sample(self) -> _Sample:
        generator = {process.pid: _cpu_seconds([process]) for process in _tree(psutil.Process())}
        machine = _machine_busy_seconds()
        if not self._server:
            return _Sample(time.monotonic(), generator, None, None, machine)
        server: list[psutil.Process] = []
        database: list[psutil.Process] = []
        for listener in self._server:
            for process in _tree(listener):
                (server if _is_python(process) else database).append(process)
        return _Sample(time.monotonic(), generator, _cpu_seconds(server), _cpu_seconds(database), machine)


def _listeners(port: int) -> list[psutil.Process]:
    """The processes listening on ``port``, outermost only (a Sanic worker's parent listens too)."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return []
    pids = {
        c.pid
        for c in connections
        if c.pid and c.status == psutil.CONN_LISTEN and getattr(c.laddr, "port", None) == port
    }
    processes = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            if not any(parent.pid in pids for parent in process.parents()):
                processes.append(process)
        except psutil.Error:
            continue
    return processes


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def _is_python(process: psutil.Process) -> bool:
    try:
        return "python" in process.name().lower()
    except psutil.Error:
        return False


def _cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:  # ended meanwhile
            continue
        total += times.user + times.system
    return total
