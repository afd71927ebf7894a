"""``python -m bench`` (``make bench``): the stack measured against its own floor, in one run.

1. a plain websocket echo on Sanic (the floor);
2. a stock ReactPy counter on Sanic (no wrappers, no database);
3. the landing page's "Read again" click: ``heavy_event`` → manager → repository → PostgreSQL,
   and its "Update time" click (no database, 3n); rows 2, 3 and 3n also measure the server's
   CPU per click (its processes' CPU time over the timed clicks, PostgreSQL's not in it; the
   three take turns in batches of 100 clicks, so a changing load weighs on all alike), printed
   as ratios to stock ReactPy beside issue 26's target; then the same click on a server
   exporting OpenTelemetry (``OTEL_EXPORTER_OTLP_ENDPOINT`` at a receiver that answers and
   keeps nothing): the cost of telemetry on, as a ratio to off;
4. in Chromium (when installed): what an empty-cache first visit of the landing page transfers,
   by resource (``bench/page_weight.py``), and its times: the live page with the time zone,
   Brython's first answer after a click (``--page`` runs this alone);
5. the demo recording replayed by N concurrent Locust users against one server process;
6. the server's memory with 1, 10, 100 and 1,000 idle sessions (KiB per idle page at 1,000
   beside its target), then 10,000 landing pages opened and closed on a fresh server after a
   warm-up of 2,000: its RSS before and after (``bench/open_close.py``);
7. capacity: the demo replay at saturation with ``HEAVY_STACK_WORKERS=1`` and ``2``, the best
   of a few loads of users that replay it back to back (``bench/replayer.py``, lighter on the
   CPU than Locust);
8. the related-notes query over one owner's 1,000 to 100,000 notes, with and
   without an HNSW index (``bench/vectors.py``);
9. reads by key in process: ``heavy``'s ``KeyRead`` against SQLAlchemy's own ways, the figure
   that keeps it (``bench/key_reads.py``);
10. cost as the work grows (``bench/costs.py``): server CPU per click with 10, 100 and 1,000 pages
    open (on 6's server and pages), beside 6, 7 and 8 as costs, in a table and a plot
    (``docs/benchmarks-costs.png``); then issue 26's targets beside this run's figures.

``--clicks`` runs 1-3 and 9 only, at full counts, and prints them without writing the report:
the quick check of a change on the click's path. ``--costs`` runs 6, 7, 8 and 10 only, printed,
with the plot in a temporary folder. ``--memory`` runs 6 only, printed.

Servers run on 127.0.0.1 on a throwaway embedded PostgreSQL. Results are printed and written
to ``docs/benchmarks.md`` with a description of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import os
import statistics
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvloop
import websockets
from heavy.stream.recording import load_recording
from heavy.testing.browser import NoChromiumError
from heavy.testing.live_server import LiveServer
from heavy.testing.otlp import otlp_receiver
from heavy.testing.page_driver import WebSocketPage
from heavy.testing.replay import ReplayResult, asked_rate
from playwright.async_api import async_playwright

from heavy_stack.settings import PROJECT_ROOT
from heavy_stack_testing.product import launch_chromium, live_server
from heavy_stack_testing.replay import DEMO_RECORDING, run_replay

from bench.apps import ECHO_PATH
from bench.clock import SectionClock
from bench.costs import (
    IDLE_S,
    WARMUP_CLICKS,
    PagesCost,
    costs_table,
    kib_per_page,
    measure_page_costs,
    notes_curves,
    notes_table,
    workers_cost,
)
from bench.key_reads import KeyReadRow, key_read_table, measure_key_reads
from bench.measure import (
    Latencies,
    children_cpu_sample,
    cpu_share,
    machine_description,
    percentile,
    python_speed_ms,
    round_trips,
    rss_kb,
    tree_cpu_sample,
)
from bench.open_close import OpenClose, idle_memory_line, measure_open_close, open_close_line
from bench.page_probe import PERIOD_S as PAGE_PROBE_PERIOD_S
from bench.page_probe import START_AFTER_S as PAGE_PROBE_START_S
from bench.page_probe import PageLoads, page_loads_during
from bench.page_weight import PageWeight, measure_first_visit
from bench.plot import PLOT_NAME, plot_costs
from bench.replayer import replay_at_saturation
from bench.targets import Figures, NextLoad, issue_targets, targets_table
from bench.vectors import VectorRow, measure_vectors

REPORT = PROJECT_ROOT / "docs" / "benchmarks.md"
# What a click looks like on the wire, so the echo carries the same bytes.
CLICK_MESSAGE = json.dumps({"type": "layout-event", "target": "0" * 32, "data": [{}]})
SESSION_BATCH = 50
# Replays of this many users and more run Locust in this many processes (its --processes).
LOCUST_PROCESSES_FROM, LOCUST_PROCESSES = 500, 2
COUNTER_ROW = "2. stock ReactPy counter click"
DB_CLICK_ROW = "3. heavy_event click with a DB read"
PLAIN_CLICK_ROW = "3n. heavy_event click without the DB (Update time)"
PAGE_LOADS = 5


@dataclass(frozen=True)
class Plan:
    round_trips: int
    warmup: int
    users: list[int]
    duration_s: int
    sessions: list[int]
    browser: bool
    workers: list[int]  # capacity runs, one server per count
    capacity_users: list[int]  # back-to-back users: capacity is the best of these loads
    capacity_duration_s: int
    vector_sizes: list[int]
    vector_queries: int
    key_read_units: int
    cost_clicks: int  # clicks per count of open pages (cost as the work grows)
    open_close: tuple[int, int]  # pages opened and closed, and the warm-up's before them
    only_clicks: bool = False
    only_memory: bool = False
    only_costs: bool = False
    only_page: bool = False


FULL = Plan(
    round_trips=2000,
    warmup=200,
    users=[1, 50, 200, 500, 1000],
    duration_s=30,
    sessions=[1, 10, 100, 1000],
    browser=True,
    workers=[1, 2],
    capacity_users=[10, 20, 40],
    capacity_duration_s=20,
    vector_sizes=[1_000, 10_000, 30_000, 100_000],
    vector_queries=100,
    key_read_units=2000,
    cost_clicks=2000,
    open_close=(10_000, 2_000),
)
QUICK = Plan(
    round_trips=100,
    warmup=20,
    users=[1, 5],
    duration_s=5,
    sessions=[1, 10],
    browser=False,
    workers=[1, 2],
    capacity_users=[2],
    capacity_duration_s=5,
    vector_sizes=[1_000],
    vector_queries=10,
    key_read_units=100,
    cost_clicks=50,
    open_close=(200, 100),
)


@dataclass(frozen=True)
class Row:
    """One line of the main table."""

    scenario: str
    p50: float
    p95: float
    p99: float
    per_second: float
    failures: int = 0
    server_cpu: float | None = None
    load_cpu: float | None = None  # the load generator's (Locust or bench/replayer.py)
    cpu_ms: float | None = None  # the server's CPU per round trip (rows 2 and 3), its processes only
    limit: str = ""  # a replay's: what failed first and whose CPU was the limit (replay_limit)
    page_loads: PageLoads | None = None  # a replay's: a new visitor's page loads meanwhile
    asked_per_second: float | None = None  # a replay's: the steps its users asked for (asked_rate)


@dataclass(frozen=True)
class Capacity:
    """One load of the capacity runs: back-to-back users against a server with some workers."""

    workers: int
    users: int
    row: Row


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    memory: list[tuple[int, int]] = field(default_factory=list)  # (sessions, RSS KiB); 0 = baseline
    page_load: PageLoad | None = None
    page_weight: PageWeight | None = None  # an empty-cache first visit of the landing page
    capacity: list[Capacity] = field(default_factory=list)
    vectors: list[VectorRow] = field(default_factory=list)
    key_reads: list[KeyReadRow] = field(default_factory=list)
    telemetry: TelemetryCost | None = None
    page_costs: list[PagesCost] = field(default_factory=list)
    open_close: OpenClose | None = None
    clock: SectionClock = field(default_factory=SectionClock)
    speed_ms: list[float] = field(default_factory=list)  # python_speed_ms before and after the replays


def row_from(scenario: str, latencies: Latencies, cpu_ms: float | None = None) -> Row:
    return Row(
        scenario,
        latencies.percentile(0.50),
        latencies.percentile(0.95),
        latencies.percentile(0.99),
        latencies.per_second,
        cpu_ms=cpu_ms,
    )


@contextmanager
def serve(
    folder: Path,
    name: str,
    module: str = "heavy_stack",
    *args: str,
    workers: int = 1,
    environment: dict[str, str] | None = None,
) -> Iterator[LiveServer]:
    """A server on 127.0.0.1; the real app uses the run's embedded database under ``folder``.
    ``environment``: variables added to this process's (the ``OTEL_*`` ones)."""
    settings = {"DATA_DIR": str(folder / "data"), "LOG_LEVEL": "WARNING", "WORKERS": str(workers)}
    # Telemetry off unless asked: an OTEL_* variable of the shell running the bench is left out.
    base = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    with live_server(
        settings, folder / f"{name}.log", module=module, args=args, base_env=base | (environment or {})
    ) as server:
        yield server


async def measure_echo(folder: Path, plan: Plan) -> Row:
    with serve(folder, "echo", "bench.serve", "echo") as server:
        url = server.base_url.replace("http", "ws", 1) + ECHO_PATH
        async with websockets.connect(url) as socket:

            async def echo_once() -> None:
                await socket.send(CLICK_MESSAGE)
                await socket.recv()

            return row_from(
                "1. websocket echo (Sanic)", await round_trips(echo_once, plan.round_trips, plan.warmup)
            )


# Rows 2, 3 and 3n take turns in batches of this many clicks: a load that changes during the
# run (other work on the machine) weighs on all three alike, and so on their ratios.
CLICK_BATCH = 100


@dataclass
class ClickSeries:
    """One kind of click, measured batch by batch: its round trips and its server's CPU (the
    server's processes' CPU time across each batch, from ``/proc``; PostgreSQL's not in it, and
    the client runs in this process)."""

    server: LiveServer
    page: WebSocketPage
    button: str
    samples_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0

    async def click(self) -> None:
        await self.page.click(self.button)
        await self.page.receive()

    async def batch(self, count: int) -> None:
        before = tree_cpu_sample(self.server.process.pid)
        latencies = await round_trips(self.click, count, warmup=0)
        self.cpu_s += tree_cpu_sample(self.server.process.pid).cpu_seconds - before.cpu_seconds
        self.samples_ms += latencies.samples_ms
        self.elapsed_s += latencies.elapsed_s

    def row(self, scenario: str) -> Row:
        cpu_ms = self.cpu_s * 1000 / len(self.samples_ms)
        return row_from(scenario, Latencies(self.samples_ms, self.elapsed_s), cpu_ms)


async def measure_click_rows(server: LiveServer, folder: Path, plan: Plan) -> list[Row]:
    """Rows 2, 3 and 3n: stock ReactPy's counter (a server of its own) and the landing page's
    "Read again" and "Update time" on ``server``, in alternating batches."""
    with serve(folder, "counter", "bench.serve", "counter") as counter_server:
        async with (
            WebSocketPage.open(counter_server.base_url, router=False) as counter_page,
            WebSocketPage.open(server.base_url) as page,
        ):
            await page.wait_for_text("current-user", "@")
            series = {
                COUNTER_ROW: ClickSeries(counter_server, counter_page, "increment"),
                DB_CLICK_ROW: ClickSeries(server, page, "read-user"),
                PLAIN_CLICK_ROW: ClickSeries(server, page, "update-time"),
            }
            for each in series.values():
                await round_trips(each.click, plan.warmup, warmup=0)
            for start in range(0, plan.round_trips, CLICK_BATCH):
                for each in series.values():
                    await each.batch(min(CLICK_BATCH, plan.round_trips - start))
    return [each.row(scenario) for scenario, each in series.items()]


TELEMETRY_ROW = "3t. the same click, OpenTelemetry exporting"
# Off and on alternate in batches of this many clicks: a load that changes during the run
# (other work on the machine) weighs on both alike.
TELEMETRY_BATCH = 50


@dataclass(frozen=True)
class TelemetryCost:
    """Row 3's click with OpenTelemetry exporting, and its ratio to the same click without,
    both from the same alternating batches."""

    row: Row
    off_p50: float
    off_p95: float


async def measure_telemetry_cost(off_server: LiveServer, folder: Path, plan: Plan) -> TelemetryCost:
    """Row 3's click on ``off_server`` and on a server exporting traces and metrics to a
    receiver on this machine that answers every export and keeps nothing, in alternating batches."""
    with otlp_receiver(keep=False) as receiver:
        otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, "OTEL_SERVICE_NAME": "heavy-bench"}
        with serve(folder, "heavy-telemetry", environment=otel) as on_server:
            async with (
                WebSocketPage.open(off_server.base_url) as off_page,
                WebSocketPage.open(on_server.base_url) as on_page,
            ):
                samples: dict[str, list[float]] = {"off": [], "on": []}
                elapsed = {"off": 0.0, "on": 0.0}
                pages = {"off": off_page, "on": on_page}
                for page in pages.values():
                    await page.wait_for_text("current-user", "@")
                for batch in range(-(-plan.round_trips // TELEMETRY_BATCH)):
                    for name, page in pages.items():

                        async def read_once(page: WebSocketPage = page) -> None:
                            await page.click("read-user")
                            await page.receive()

                        warmup = plan.warmup if batch == 0 else 0
                        latencies = await round_trips(read_once, TELEMETRY_BATCH, warmup)
                        samples[name] += latencies.samples_ms
                        elapsed[name] += latencies.elapsed_s
    off, on = Latencies(samples["off"], elapsed["off"]), Latencies(samples["on"], elapsed["on"])
    return TelemetryCost(row_from(TELEMETRY_ROW, on), off.percentile(0.5), off.percentile(0.95))


def measure_replay(server: LiveServer, users: int, plan: Plan, scenario: str | None = None) -> Row:
    """The demo recording replayed by ``users``; server CPU counts its worker processes too."""
    before, locust_before = tree_cpu_sample(server.process.pid), children_cpu_sample()
    with page_loads_during(server.base_url) as page_loads:
        result = run_replay(
            server.base_url,
            DEMO_RECORDING,
            users=users,
            spawn_rate=min(users, 100),
            run_time=f"{plan.duration_s}s",
            timeout=plan.duration_s + 120,
            # One Locust process makes about 1,000 answered events a second: more users get more.
            options=("--processes", str(LOCUST_PROCESSES)) if users >= LOCUST_PROCESSES_FROM else (),
        )
    after, locust_after = tree_cpu_sample(server.process.pid), children_cpu_sample()
    total = result.total
    elapsed = max(total.last_request - total.first_request, 1e-9)
    return Row(
        scenario or f"4. demo replay, {users} user{'s' if users > 1 else ''}",
        total.percentile(0.50),
        total.percentile(0.95),
        total.percentile(0.99),
        total.requests / elapsed,
        total.failures,
        cpu_share(before, after),
        # The Locust file's own report counts --processes' workers, which outlive the master
        # unreaped (so this process's children's CPU misses them).
        result.generator_cpu if result.generator_cpu is not None else cpu_share(locust_before, locust_after),
        limit=replay_limit(result),
        page_loads=page_loads,
        asked_per_second=asked_rate(load_recording(DEMO_RECORDING).busiest_visit(), users),
    )


def replay_limit(result: ReplayResult) -> str:
    """What failed first (Locust's most frequent error) and whose CPU was the limit, in words."""
    errors = result.errors()
    failed = f"{errors[0][0]}× {errors[0][1]}" if errors else "nothing failed"
    return f"{failed}; {result.limit or 'CPU not reported'}"


def measure_capacity(server: LiveServer, users: int, duration_s: float) -> Row:
    """Answered events per second with the demo recording replayed back to back (run in a thread:
    the replay has an event loop of its own, uvloop's, as lean as the load generator can be)."""
    before = tree_cpu_sample(server.process.pid)
    run = uvloop.run(
        replay_at_saturation(server.base_url, DEMO_RECORDING, users=users, duration_s=duration_s)
    )
    latencies = run.latencies
    return Row(
        f"{users} back-to-back users",
        latencies.percentile(0.50),
        latencies.percentile(0.95),
        latencies.percentile(0.99),
        latencies.per_second,
        run.failures,
        cpu_share(before, tree_cpu_sample(server.process.pid)),
        run.load_cpu,
    )


async def measure_memory(
    server: LiveServer,
    counts: Sequence[int],
    then: Callable[[list[WebSocketPage]], Awaitable[None]] | None = None,
) -> list[tuple[int, int]]:
    """RSS with no session (after one has warmed the server up), then with each count open;
    ``then`` gets the open pages before they close."""
    async with WebSocketPage.open(server.base_url):
        pass
    await asyncio.sleep(1)
    measured = [(0, rss_kb(server.process.pid))]
    async with AsyncExitStack() as sessions:
        pages: list[WebSocketPage] = []
        for target in counts:
            while len(pages) < target:
                batch = min(SESSION_BATCH, target - len(pages))
                pages += await asyncio.gather(*(_open_idle(sessions, server.base_url) for _ in range(batch)))
            await asyncio.sleep(1)  # let the renders that follow a connection finish
            measured.append((target, rss_kb(server.process.pid)))
        if then is not None:
            await then(pages)
    return measured


async def _open_idle(sessions: AsyncExitStack, base_url: str) -> WebSocketPage:
    return await sessions.enter_async_context(WebSocketPage.open(base_url, timeout=60))


@dataclass(frozen=True)
class PageLoad:
    """Medians of a few first visits of the landing page, in ms."""

    live: float  # from navigation start to the live layout's render, with the browser's time zone
    brython_answer: float  # from the click on a Brython button to its answer (Brython loaded then)


async def measure_page_load(server: LiveServer, results: Results) -> None:
    """What an empty-cache first visit of the landing page transfers, and how long it takes to
    the live page, to the time zone shown and, after a click, to Brython's first answer."""
    async with async_playwright() as playwright:
        try:
            browser = await launch_chromium(playwright)
        except NoChromiumError as error:
            print(f"Skipping the page-load figures: {error}")
            return
        results.page_weight = await measure_first_visit(browser, server.base_url + "/")
        live, brython_answer = [], []
        for _ in range(PAGE_LOADS):
            context = await browser.new_context(timezone_id="Europe/Paris")
            page = await context.new_page()
            await page.goto(server.base_url + "/", wait_until="commit")
            shown = await page.wait_for_function(
                "!document.getElementById('heavy-first-paint')"
                " && document.getElementById('browser-timezone')?.textContent.includes('Europe/Paris')"
                " && performance.now()"
            )
            clicked = float(await page.evaluate("performance.now()"))
            await page.click("#ask-timezone")
            answered = await page.wait_for_function(
                "document.getElementById('brython-timezone')?.textContent.includes('Europe/Paris')"
                " && performance.now()"
            )
            live.append(float(await shown.json_value()))
            brython_answer.append(float(await answered.json_value()) - clicked)
            await context.close()
        await browser.close()
    results.page_load = PageLoad(statistics.median(live), statistics.median(brython_answer))


@asynccontextmanager
async def heavy_server(folder: Path) -> AsyncIterator[LiveServer]:
    with serve(folder, "heavy") as server:
        yield server


async def measure_clicks(server: LiveServer, folder: Path, plan: Plan, results: Results) -> None:
    """Rows 2, 3 and 3n (stock ReactPy's counter, the landing page's clicks with and without
    the database, taking turns), then 3t (telemetry exporting)."""
    results.rows += await measure_click_rows(server, folder, plan)
    results.telemetry = await measure_telemetry_cost(server, folder, plan)
    results.rows.append(results.telemetry.row)


async def run(plan: Plan) -> Results:
    results = Results()
    clock = results.clock
    with tempfile.TemporaryDirectory(prefix="heavy-stack-bench-") as name:
        folder = Path(name)
        if plan.only_costs:
            await measure_growth(folder, plan, results)
            return results
        if plan.only_memory:
            await measure_idle_memory(folder, plan, results)
            await measure_pages_coming_and_going(folder, plan, results)
            return results
        if plan.only_page:
            async with heavy_server(folder) as server:
                await measure_page_load(server, results)
            return results
        results.rows.append(await measure_echo(folder, plan))
        if plan.only_clicks:
            async with heavy_server(folder) as server:
                await measure_clicks(server, folder, plan, results)
            clock.lap("round trips")
            results.key_reads = await measure_key_reads(folder / "key_reads", plan.key_read_units)
            clock.lap("reads by key")
            return results
        async with heavy_server(folder) as server:
            await measure_clicks(server, folder, plan, results)
            clock.lap("round trips")
            if plan.browser:  # before the replays: not on a server still closing 500 users' pages
                await measure_page_load(server, results)
                clock.lap("page load")
            results.speed_ms.append(python_speed_ms())
            for users in plan.users:
                print(f"Replaying the demo recording with {users} users for {plan.duration_s} s…")
                results.rows.append(await asyncio.to_thread(measure_replay, server, users, plan))
            results.speed_ms.append(python_speed_ms())
            clock.lap("Locust replays")
        await measure_growth(folder, plan, results)
        await measure_pages_coming_and_going(folder, plan, results)
        print("Reads by key, in process…")
        results.key_reads = await measure_key_reads(folder / "key_reads", plan.key_read_units)
        clock.lap("reads by key")
    return results


async def measure_idle_memory(folder: Path, plan: Plan, results: Results) -> None:
    """The memory table alone: RSS with each count of idle pages, on a fresh server."""
    async with heavy_server(folder) as server:
        results.memory = await measure_memory(server, plan.sessions)
    results.clock.lap("memory by open pages")


async def measure_pages_coming_and_going(folder: Path, plan: Plan, results: Results) -> None:
    """RSS before and after many pages opened and closed, on a fresh server (bench/open_close.py)."""
    pages, warmup = plan.open_close
    print(f"Opening and closing {pages:,} pages (after {warmup:,} to warm up)…")
    async with heavy_server(folder) as server:
        results.open_close = await measure_open_close(server, pages, warmup, SESSION_BATCH)
    results.clock.lap("pages opened and closed")


async def measure_growth(folder: Path, plan: Plan, results: Results) -> None:
    """Memory per page (and CPU per click as pages grow), capacity by workers, related notes."""
    cost_counts = [count for count in plan.sessions if count >= 10]
    async with heavy_server(folder) as server:  # a fresh process for memory

        async def click_costs(pages: list[WebSocketPage]) -> None:
            print("Server CPU per click as open pages grow…")
            results.page_costs = await measure_page_costs(
                server.process.pid, pages, cost_counts, plan.cost_clicks
            )

        results.memory = await measure_memory(server, plan.sessions, click_costs)
    results.clock.lap("memory and CPU by open pages")
    for workers in plan.workers:
        with serve(folder, f"workers-{workers}", workers=workers) as server:
            for users in plan.capacity_users:
                print(f"Capacity: {users} back-to-back users against {workers} worker(s)…")
                row = await asyncio.to_thread(measure_capacity, server, users, plan.capacity_duration_s)
                results.capacity.append(Capacity(workers, users, row))
    results.clock.lap("capacity by workers")
    print("The related-notes query as one owner's notes grow…")
    results.vectors = await measure_vectors(folder / "vectors", plan.vector_sizes, plan.vector_queries)
    results.clock.lap("related notes")


def render(results: Results, machine: str, plan: Plan) -> str:
    echo, counter = results.rows[0].p50, results.rows[1].p50
    lines = [
        "| scenario | p50 ms | p95 ms | p99 ms | per s | p50 × echo | p50 × stock ReactPy "
        "| failures | server CPU | Locust CPU |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results.rows:
        lines.append(
            f"| {row.scenario} | {row.p50:.2f} | {row.p95:.2f} | {row.p99:.2f} | {row.per_second:,.0f} "
            f"| {row.p50 / echo:.1f} | {row.p50 / counter:.2f} | {row.failures} "
            f"| {_percent(row.server_cpu)} | {_percent(row.load_cpu)} |"
        )
    lines += _page_loads_during_replays(results.rows)
    lines += _load_asked_and_served(results.rows)
    lines += _speed_line(results.speed_ms)
    lines += _click_cpu_targets(results.rows)
    lines += _telemetry_ratio(results.telemetry)
    lines += memory_table(results) + memory_lines(results)
    if results.capacity:
        lines += _capacity_table(results.capacity, plan)
    if results.vectors:
        lines += _vector_table(results.vectors, plan)
    if results.key_reads:
        lines += key_read_table(results.key_reads, plan.key_read_units)
    lines += page_lines(results)
    lines += [
        "",
        f"Machine: {machine}. Round trips: {plan.round_trips} sequential after {plan.warmup} warm-up. "
        f"Replays: {plan.duration_s} s each; those of the main table by Locust with the recorded "
        "think times, on the same machine.",
    ]
    return "\n".join(lines)


def _speed_line(speed_ms: list[float]) -> list[str]:
    """This machine's speed around the replays (``python_speed_ms``), to compare runs by."""
    if len(speed_ms) != 2:
        return []
    before, after = speed_ms
    return [
        "",
        f"Machine speed: a fixed pure-Python loop took {before:,.0f} ms before the replays and "
        f"{after:,.0f} ms after (best of 3; lower is faster). This machine is shared and slows at "
        "times: compare the replays of two runs only when these figures agree.",
    ]


def _load_asked_and_served(rows: list[Row]) -> list[str]:
    """How much of the load each replay's users asked for the server served."""
    lines = [
        f"- {row.scenario}: asked {row.asked_per_second:,.0f} steps/s, served "
        f"{row.per_second:,.0f} ({row.per_second / row.asked_per_second:.0%})"
        for row in rows
        if row.asked_per_second
    ]
    if not lines:
        return []
    return [
        "",
        "The load each replay asked for: its users' steps (each page's first update, each "
        "answered event) a second if every answer came at once, with the recording's pauses; "
        "what the server served is the table's rate (late answers and connections waiting to be "
        "accepted lengthen each loop, so the users ask for less):",
        "",
        *lines,
    ]


def _page_loads_during_replays(rows: list[Row]) -> list[str]:
    """A new visitor's page loads (``bench/page_probe.py``) during each replay of the table."""
    lines = []
    for row in rows:
        loads = row.page_loads
        if loads is None or not (loads.samples_ms or loads.failures):
            continue
        samples = loads.samples_ms
        lines.append(
            f"- {row.scenario}: {len(samples)} loads, p50 {percentile(samples, 0.5):,.0f} ms, "
            f"p95 {percentile(samples, 0.95):,.0f} ms, slowest {max(samples, default=0):,.0f} ms"
            + (f", {loads.failures} failed" if loads.failures else "")
        )
    if not lines:
        return []
    return [
        "",
        "A new visitor's page load during each replay (`GET /` over a new connection every "
        f"{PAGE_PROBE_PERIOD_S} s, from {PAGE_PROBE_START_S:.0f} s into the replay: "
        "`bench/page_probe.py`):",
        "",
        *lines,
    ]


# Issue 26: the DB click at most this many times stock ReactPy's counter click in server CPU;
# the ratios `python -m bench --clicks` measured when that round began (2026-12-06).
DB_CLICK_CPU_TARGET = 1.2
DB_CLICK_CPU_AT_START = 3.6
DB_CLICK_P50_AT_START = 3.1


def memory_table(results: Results) -> list[str]:
    """RSS with each count of idle pages, and KiB per page above none."""
    lines = ["", "| idle sessions | server RSS MiB | KiB per session |", "| ---: | ---: | ---: |"]
    baseline = results.memory[0][1] if results.memory else 0
    for sessions, kb in results.memory:
        per_session = "" if sessions == 0 else f"{(kb - baseline) / sessions:,.0f}"
        lines.append(f"| {sessions:,} | {kb / 1024:,.1f} | {per_session} |")
    return lines


def memory_lines(results: Results) -> list[str]:
    """Below the memory table: the idle page's target, and pages opened and closed."""
    lines = ["", idle_memory_line(kib_per_page(results.memory, 1000))]
    if results.open_close is not None:
        lines += ["", open_close_line(results.open_close)]
    return lines


def page_lines(results: Results) -> list[str]:
    """The landing page's first visit in Chromium: its weight by resource, its times."""
    lines = []
    if results.page_weight:
        weight = results.page_weight
        lines += ["", f"Page weight, {weight.summary()}: an empty-cache visit of /, by resource:", ""]
        lines += [f"    {line}" for line in weight.breakdown()]
    if results.page_load:
        load = results.page_load
        lines += [
            "",
            f"Page load in headless Chromium (median of {PAGE_LOADS}): the live page, showing the browser's "
            f"time zone (heavy's cookie, no Brython), {load.live:.0f} ms after navigation start; a first "
            f"Brython call answered {load.brython_answer:.0f} ms after its click (Brython loads with it).",
        ]
    return lines


def _click_cpu_targets(rows: list[Row]) -> list[str]:
    """The server's CPU per click of rows 2, 3 and 3n, and the ratios to stock ReactPy beside
    their targets."""
    by_name = {row.scenario: row for row in rows}
    counter, db, plain = (by_name.get(name) for name in (COUNTER_ROW, DB_CLICK_ROW, PLAIN_CLICK_ROW))
    if not (counter and db and plain and counter.cpu_ms and db.cpu_ms and plain.cpu_ms):
        return []
    return [
        "",
        f"Server CPU per click (the server's processes; PostgreSQL's not in it): stock ReactPy counter "
        f"{counter.cpu_ms:.3f} ms, DB click (3) {db.cpu_ms:.3f} ms, click without the DB (3n) "
        f"{plain.cpu_ms:.3f} ms.",
        f"DB click CPU × stock: {db.cpu_ms / counter.cpu_ms:.2f} (target ≤ {DB_CLICK_CPU_TARGET}; was "
        f"{DB_CLICK_CPU_AT_START}); p50 × stock: {db.p50 / counter.p50:.2f} (was {DB_CLICK_P50_AT_START}). "
        f"Click without the DB, CPU × stock: {plain.cpu_ms / counter.cpu_ms:.2f} (target < 1: the lead kept).",
    ]


def _telemetry_ratio(cost: TelemetryCost | None) -> list[str]:
    """Row 3t against the same click without telemetry, from the same alternating batches."""
    if cost is None:
        return []
    on = cost.row
    return [
        "",
        f"Telemetry: with OpenTelemetry exporting (3t) the click takes {on.p50 / cost.off_p50:.2f}× its "
        f"time without: p50 {on.p50:.2f} ms against {cost.off_p50:.2f} ms, p95 {on.p95:.2f} against "
        f"{cost.off_p95:.2f} ms (batches of {TELEMETRY_BATCH} clicks, off and on in turn). "
        "Without OTEL_* variables the SDK is not imported (docs/telemetry.md).",
    ]


def _best_load(points: list[Capacity]) -> Capacity:
    """The load with most answered events per second among those with no failure (if any)."""
    clean = [point for point in points if point.row.failures == 0] or points
    return max(clean, key=lambda point: point.row.per_second)


def _capacity_table(capacity: list[Capacity], plan: Plan) -> list[str]:
    best = {workers: _best_load([c for c in capacity if c.workers == workers]) for workers in plan.workers}
    one = best[1].row.per_second if 1 in best else None
    lines = [
        "",
        f"Capacity: the demo recording replayed back to back, with no pauses, for {plan.capacity_duration_s} s "
        f"by {', '.join(map(str, plan.capacity_users))} users (`bench/replayer.py`), against one server per "
        "worker count; a server's capacity is its best load without failures. Server CPU sums the server's processes; "
        "load generator CPU is the replaying process, on the same cores.",
        "",
        "| workers | users | answered events/s | per server core | × 1 worker (best) | p50 ms | p95 ms "
        "| failures | server CPU | load generator CPU |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for point in capacity:
        row = point.row
        per_core = row.per_second / row.server_cpu if row.server_cpu else 0.0
        is_best = best[point.workers] is point
        ratio = f"**{row.per_second / one:.2f}**" if one and is_best else ""
        lines.append(
            f"| {point.workers} | {point.users} | {row.per_second:,.0f} | {per_core:,.0f} | {ratio} "
            f"| {row.p50:.0f} | {row.p95:.0f} | {row.failures} | {_percent(row.server_cpu)} "
            f"| {_percent(row.load_cpu)} |"
        )
    return lines


def _vector_table(rows: list[VectorRow], plan: Plan) -> list[str]:
    lines = [
        "",
        f"Related notes (`NoteEmbeddingRepository.nearest`, 3 nearest): {plan.vector_queries} queries "
        "per row over one owner's notes, beside 10,000 notes of 100 other owners; recall is the "
        "share of the exact answer found.",
        "",
        "| owner's notes | index | p50 ms | p95 ms | recall | index build s |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        build = f"{row.build_s:.1f}" if row.build_s else ""
        lines.append(
            f"| {row.notes:,} | {row.index} | {row.p50_ms:.2f} | {row.p95_ms:.2f} | {row.recall:.0%} | {build} |"
        )
    return lines


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share:.0%}"


def figures_of(results: Results) -> Figures:
    """This run's figures for issue 26's targets (None where the run did not measure one)."""
    counter = _row(results, COUNTER_ROW)
    click = _row(results, DB_CLICK_ROW)
    replay = _row(results, "4. demo replay, 500 users")
    next_load = _row(results, "4. demo replay, 1000 users")
    cpu_ratio = None
    if counter and click and counter.cpu_ms and click.cpu_ms:
        cpu_ratio = click.cpu_ms / counter.cpu_ms
    return Figures(
        click_cpu_ratio=cpu_ratio,
        click_latency_ratio=click.p50 / counter.p50 if counter and click else None,
        idle_kib_per_page=kib_per_page(results.memory, 1000),
        open_close_growth_mb=None if results.open_close is None else results.open_close.growth_mb,
        replay_failures=replay.failures if replay else None,
        replay_p95_ms=replay.p95 if replay else None,
        replay_answered=replay is None or replay.per_second > 0,
        # A replay that recorded no answered event measured nothing (not "0 failures").
        next_load=None
        if next_load is None or next_load.per_second == 0
        else NextLoad(next_load.failures, next_load.p95, next_load.limit),
        first_visit_kb=None if results.page_weight is None else results.page_weight.total_bytes / 1000,
    )


def _row(results: Results, scenario_start: str) -> Row | None:
    return next((row for row in results.rows if row.scenario.startswith(scenario_start)), None)


def cost_section(results: Results, plot_name: str) -> list[str]:
    """Cost as the work grows: the pages' clicks and memory, the workers, the related notes."""
    best = [_best_load([c for c in results.capacity if c.workers == w]) for w in _worker_counts(results)]
    workers = [workers_cost(c.workers, c.row.per_second, c.row.server_cpu) for c in best]
    return [
        "## Cost as the work grows",
        "",
        f"![Server CPU per click and memory per idle page against open pages; related notes against notes]"
        f"({plot_name})",
        "",
        "Open pages: the memory run's idle pages (KiB per idle page = (RSS - RSS with none) / pages); "
        "then, from the most pages down, the server's CPU with them open and nobody clicking "
        f'({IDLE_S:.0f} s, 100% is one core), and a tenth of them clicking "Read again" (a read in '
        f"PostgreSQL and a re-render), each after its last answer and after {WARMUP_CLICKS} untimed: "
        "the server's CPU time over those clicks divided by their number. Workers: each worker count's best load of the capacity runs "
        "above. Related notes: the p50 of the table above.",
        "",
        *costs_table(results.page_costs, results.memory, workers),
        "",
        *notes_table(notes_curves(results.vectors)),
    ]


def _worker_counts(results: Results) -> list[int]:
    return sorted({point.workers for point in results.capacity})


def write_plot(results: Results, path: Path) -> Path:
    return plot_costs(path, results.page_costs, results.memory, notes_curves(results.vectors))


ANALYSIS_HEADING = "## Where the time goes"


def write_report(table: str, output: Path, targets: str = "") -> None:
    """Write the run's tables; a hand-written "Where the time goes" section below them is kept."""
    today = datetime.date.today().isoformat()
    output.parent.mkdir(parents=True, exist_ok=True)
    previous = output.read_text() if output.exists() else ""
    kept = previous[previous.find(ANALYSIS_HEADING) :] if ANALYSIS_HEADING in previous else ""
    output.write_text(
        "# Benchmarks\n\n"
        f"Latest `make bench` run ({today}). Re-run it on your machine: figures depend on it.\n\n"
        + (f"## Targets (issue 26)\n\n{targets}\n\n## The run\n\n" if targets else "")
        + "Latencies are one client's round trip from sending a message to the server's answer;\n"
        "replay latencies are Locust's, from each recorded event until the page shows what the\n"
        "server confirmed when recorded (its next update where there is nothing to compare).\n"
        "Per s: round trips per second for one client; answered events per second for a replay.\n"
        "Server CPU is the app process only (PostgreSQL runs in its own processes); Locust CPU is\n"
        "the load generator, on the same machine. 100% is one core.\n\n"
        f"{table}\n" + (f"\n{kept}" if kept else "")
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks that every step runs")
    parser.add_argument(
        "--clicks", action="store_true", help="only the round trips and reads by key, printed, not written"
    )
    parser.add_argument(
        "--costs",
        action="store_true",
        help="only cost as the work grows, printed; the plot in a temporary folder",
    )
    parser.add_argument(
        "--page", action="store_true", help="only the landing page in Chromium (weight and times), printed"
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="only memory: idle pages, then 10,000 opened and closed; printed, not written",
    )
    parser.add_argument("--output", type=Path, default=REPORT, help="where to write the report")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.clicks:
        plan = dataclasses.replace(plan, only_clicks=True)
    if args.costs:
        plan = dataclasses.replace(plan, only_costs=True)
    if args.page:
        plan = dataclasses.replace(plan, only_page=True, browser=True)
    if args.memory:
        plan = dataclasses.replace(plan, only_memory=True)
    results = asyncio.run(run(plan))
    machine = machine_description()
    targets = "\n".join(targets_table(issue_targets(figures_of(results))))
    if args.page:
        print("\n".join(page_lines(results)))
        return
    if args.memory:
        print("\n".join(memory_table(results) + memory_lines(results)))
        print(f"\nIssue 26's targets:\n{targets}\n\n{results.clock.summary()}")
        return
    if args.costs:
        plot = write_plot(results, Path(tempfile.mkdtemp(prefix="heavy-stack-bench-")) / PLOT_NAME)
        print("\n".join(cost_section(results, str(plot))))
    else:
        table = render(results, machine, plan)
        print(table)
    if not (args.clicks or args.costs):
        write_plot(results, args.output.parent / PLOT_NAME)
        report = table + "\n\n" + "\n".join(cost_section(results, PLOT_NAME))
        write_report(report, args.output, f"{targets}\n\nOn {machine}. {results.clock.summary()}")
        print(f"\nWritten to {args.output} and {PLOT_NAME} beside it")
    print(f"\nIssue 26's targets:\n{targets}\n\n{results.clock.summary()}")


if __name__ == "__main__":
    main()
