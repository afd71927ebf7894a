"""``python -m bench.latency``: the demo replayed by Locust users against one probed server
(``bench.latency_probe``), and what its response times are made of, printed: Locust's figures
per step, then the server's own over the middle of the run (from ``--warmup`` to 5 s before the
end): the event loop's lag, each message's wait in the process, each answer's time in the
server (also by handler, with the loop turns it waited when ``--env BENCH_LATENCY_TURNS=1``),
each unit of work's time and its wait for a turn at the pool, each collection's pause, the CPU
of each component's renders and, with ``--top``, the frames that took the server's CPU.
``--keep FILE`` keeps the probes' JSON; ``--env NAME=value`` sets the server's environment
(``HEAVY_STACK_DB_POOL_SIZE=30``, say).

    python -m bench.latency --users 500 --seconds 60 --processes 2
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from heavy.testing.replay import ReplayResult

from heavy_stack_testing.replay import DEMO_RECORDING, run_replay

from bench.cpu_profile import top_frames
from bench.latency_probe import OUTPUT_VARIABLE
from bench.measure import percentile, tree_cpu_sample


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:8} n={len(values):6}  p50 {percentile(values, 0.5):7.1f}  p90 {percentile(values, 0.9):7.1f}  "
        f"p95 {percentile(values, 0.95):7.1f}  p99 {percentile(values, 0.99):7.1f}  max {max(values, default=0):7.1f} ms"
    )


def analyse(report: dict[str, Any], top: int) -> list[str]:
    """The probes' report (``bench.latency_probe``) in lines: percentiles, pauses, renders."""
    seconds = report["seconds"]
    lines = [f"probed {seconds:.1f} s"]
    for name in ("lag", "wait", "answer", "connect"):
        lines.append(_line(name, report[name]))
    for name, answers in sorted(report.get("answers", {}).items()):
        times, turns = [ms for ms, _ in answers], [float(turn) for _, turn in answers]
        lines.append(
            f"  {name[:44]:44} n={len(times):6} p50 {percentile(times, 0.5):6.1f} p95 {percentile(times, 0.95):6.1f} ms"
            + (
                f"; loop turns p50 {percentile(turns, 0.5):3.0f} p95 {percentile(turns, 0.95):3.0f}"
                if any(turns)
                else ""
            )
        )
    units = report.get("units", [])
    if units:
        lines.append(_line("units", [ms for ms, _ in units]))
        turns = [float(turn) for _, turn in units]
        if any(turns):
            lines.append(
                f"  units' loop turns p50 {percentile(turns, 0.5):.0f} p95 {percentile(turns, 0.95):.0f}"
            )
        lines.append(_line("pool", report.get("turn_waits", [])) + " (units that waited for a turn)")
    by_generation: dict[int, list[tuple[float, float]]] = {}
    collected: Counter[int] = Counter()
    for generation, _at, wall, cpu, found in report["gc"]:
        by_generation.setdefault(generation, []).append((wall, cpu))
        collected[generation] += found
    for generation, pauses in sorted(by_generation.items()):
        walls, cpus = [wall for wall, _ in pauses], [cpu for _, cpu in pauses]
        lines.append(
            f"gc gen {generation}: {len(pauses)} pauses ({len(pauses) / seconds:.2f}/s), "
            f"wall total {sum(walls):.0f} ms ({sum(walls) / seconds / 10:.1f} % of the time), "
            f"median {percentile(walls, 0.5):.1f}, max {max(walls):.1f} ms; CPU median {percentile(cpus, 0.5):.1f}, "
            f"max {max(cpus):.1f} ms; collected {collected[generation] / seconds:.0f} objects/s"
        )
    renders = report.get("renders", {})
    cpu_total = sum(sum(values) for values in renders.values())
    # An update that awaited (an unmount's clean-ups) counts what ran meanwhile: shares add up
    # to more than the server's CPU.
    lines.append(
        f"renders (thread CPU while each update was made): {cpu_total / seconds / 10:.1f} % of a core"
    )
    for name, values in sorted(renders.items(), key=lambda item: -sum(item[1])):
        lines.append(
            f"  {name:40} n={len(values):6} ({len(values) / seconds:5.1f}/s) CPU p50 {percentile(values, 0.5):5.2f} "
            f"p95 {percentile(values, 0.95):5.2f} max {max(values):6.2f} ms; {sum(values) / seconds / 10:4.1f} % of a core"
        )
    samples = Counter(report["samples"])
    if samples and top:
        collapsed = "".join(f"{stack} {count}\n" for stack, count in samples.items())
        lines += top_frames(collapsed, 0.0, top)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=15, help="seconds before the probes start")
    parser.add_argument("--processes", type=int, default=2, help="Locust processes")
    parser.add_argument("--top", type=int, default=0, help="how many CPU frames to print")
    parser.add_argument("--keep", type=Path, help="where to keep the probes' JSON")
    parser.add_argument("--env", action="append", default=[], help="NAME=value for the server")
    args = parser.parse_args(argv)
    result, report, cpu_seconds = probed_replay(args)
    total = result.total
    elapsed = max(total.last_request - total.first_request, 1e-9)
    print(
        f"locust: {total.requests} answered, {total.failures} failures, {total.requests / elapsed:.0f}/s, "
        f"p50 {total.percentile(0.5):.0f} p95 {total.percentile(0.95):.0f} p99 {total.percentile(0.99):.0f} ms; "
        f"server CPU {cpu_seconds * 1e3 / max(total.requests, 1):.2f} ms per answered event; "
        f"limit: {result.limit}; Locust CPU {result.generator_cpu}"
    )
    for name, stats in sorted(result.events.items()):
        print(
            f"  {name:45} n={stats.requests:6} p50 {stats.percentile(0.5):5.0f} p95 {stats.percentile(0.95):5.0f}"
        )
    print("\n".join(analyse(report, args.top)))


def probed_replay(args: argparse.Namespace) -> tuple[ReplayResult, dict[str, Any], float]:
    """The replay, the probes' report and the server's CPU seconds over the replay."""
    from bench.__main__ import serve  # here: the probed server imports none of it

    environment = dict(item.split("=", 1) for item in args.env)
    with tempfile.TemporaryDirectory(prefix="heavy-stack-latency-") as name:
        output = Path(name) / "probes.json"
        environment[OUTPUT_VARIABLE] = str(output)
        with serve(Path(name), "probed", "bench.latency_probe", "serve", environment=environment) as server:

            def probe_window() -> None:  # the probes see the middle of the run
                time.sleep(args.warmup)
                os.kill(server.process.pid, signal.SIGUSR2)
                time.sleep(args.seconds - args.warmup - 5)
                os.kill(server.process.pid, signal.SIGUSR2)

            before = tree_cpu_sample(server.process.pid).cpu_seconds
            timer = threading.Thread(target=probe_window, daemon=True)
            timer.start()
            result = run_replay(
                server.base_url,
                DEMO_RECORDING,
                users=args.users,
                spawn_rate=min(args.users, 100),
                run_time=f"{args.seconds}s",
                timeout=args.seconds + 120,
                options=("--processes", str(args.processes)) if args.processes > 1 else (),
            )
            cpu_seconds = tree_cpu_sample(server.process.pid).cpu_seconds - before
            timer.join()
            for _ in range(100):  # the server writes the report between two messages
                if output.exists():
                    break
                time.sleep(0.1)
            if args.keep:
                args.keep.write_text(output.read_text())
            return result, json.loads(output.read_text()), cpu_seconds


if __name__ == "__main__":
    main()
