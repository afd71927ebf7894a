"""The development dashboard: a live page at ``/_heavy/dashboard`` with the server's figures.

Phoenix's LiveDashboard is the model. ``heavy.create_app`` adds it outside PRODUCTION
(``install_dashboard``); in PRODUCTION nothing of it is registered, and its address is the
product's not-found page. It shows, updated every second: open pages, events per second (and the
last minute of them), the slowest handlers with their database time, memory per page (the
process's resident memory over its open pages), the database pools and, when the app has a task
queue (``create_app(tasks=...)``), its latest runs and their progress (``recent_task_runs``).

**Across instances.** The page asks every server process through pub/sub (``heavy.publish``)
each second; each process answers with its own figures, and the page shows each instance's
row and the totals. Figures are collected from the first time a process is asked
(``heavy.telemetry.figures.watch``): before anyone opens a dashboard, the live pages do no work
for it. The dashboard's own page is counted among the open pages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from heavy.data.db_connection import Database
from heavy.hooks import heavy_use_effect, heavy_use_state, heavy_use_topic
from heavy.live import html
from heavy.live.addresses import page_pathname
from heavy.live.pubsub import TopicMessage, current_pubsub, publish
from heavy.settings import HeavySettings
from heavy.stream.guard import open_pages
from heavy.tasks.progress import progress_from
from heavy.tasks.schema import TASK_PROGRESS
from heavy.telemetry.figures import (
    HISTORY_SECONDS,
    HandlerFigures,
    LiveFigures,
    every_second,
    instance_name,
    live_figures,
    pools,
    rss_bytes,
    watch,
)
from heavy.web.first_paint import render_first_paint
from heavy.web.pages import PageShell
from reactpy import component
from reactpy.backend.types import Location
from sanic import Request, Sanic
from sanic.response import HTTPResponse, file
from sqlalchemy import select

logger = logging.getLogger(__name__)

DASHBOARD_PATH = "/_heavy/dashboard"
STYLESHEET_PATH = "/_heavy/dashboard.css"
STYLESHEET = Path(__file__).with_name("dashboard.css")
ASK_TOPIC = "heavy.dashboard.ask"
FIGURES_TOPIC = "heavy.dashboard.figures"
# An instance not heard from for this long has stopped (or lost pub/sub): its row goes.
FORGET_AFTER_SECONDS = 5.0
# Each process answers at most this often, however many dashboards ask.
ANSWER_EVERY_SECONDS = 0.5
SLOWEST_SHOWN = 10


@dataclass(frozen=True)
class DashboardJob:
    """A job as the dashboard lists it (what a job queue's ``job_sources`` entry returns)."""

    id: str
    name: str
    state: str
    percent: int | None = None
    detail: str = ""


JobSource = Callable[[], Awaitable[Sequence[DashboardJob]]]
"""What lists an app's jobs for the dashboard (``install_dashboard``'s ``jobs``)."""
RUNS_SHOWN = 10


async def recent_task_runs(database: Database) -> list[DashboardJob]:
    """The task queue's latest runs (``heavy_task_progress``), the newest change first."""
    query = select(TASK_PROGRESS).order_by(TASK_PROGRESS.c.updated.desc()).limit(RUNS_SHOWN)
    async with database.transaction(read_only=True) as session:
        rows = (await (await session.connection()).execute(query)).mappings().all()
    runs = [progress_from(dict(row)) for row in rows]
    return [
        DashboardJob(str(run.job_id), run.task, run.state.value, run.percent, run.error or run.message)
        for run in runs
    ]


def serves_dashboard(stream_path: str) -> bool:
    """Whether a live connection at ``stream_path`` (``/_reactpy/stream/...``) is a dashboard's."""
    return page_pathname(stream_path) == DASHBOARD_PATH


# --- what each process reports --------------------------------------------------------------


def _handler_row(figures: HandlerFigures) -> dict[str, Any]:
    return {
        "component": figures.component[:80],
        "handler": figures.handler[:80],
        "events": figures.events,
        "seconds": round(figures.seconds, 6),
        "slowest": round(figures.slowest, 6),
        "db_seconds": round(figures.db_seconds, 6),
        "statements": figures.statements,
    }


def report(figures: LiveFigures, jobs: Sequence[DashboardJob] | None = None) -> dict[str, Any]:
    """This process's figures as one JSON payload (well under pub/sub's size limit)."""
    return {
        "instance": instance_name(),
        "sent_at": time.time(),
        "since": figures.started,
        "open_pages": len(open_pages),
        "events": figures.events,
        "per_second": figures.per_second(),
        "rss_bytes": rss_bytes(),
        "pools": [asdict(pool) for pool in pools()],
        "handlers": [_handler_row(handler) for handler in figures.slowest_handlers(SLOWEST_SHOWN)],
        # None: this app has no job queue.
        "jobs": None if jobs is None else [asdict(job) for job in jobs],
    }


async def _jobs(source: JobSource | None) -> list[DashboardJob] | None:
    if source is None:
        return None
    try:
        return list(await source())
    except Exception as error:  # a queue that cannot be read now: the rest still shows
        logger.warning("The dashboard could not list jobs: %s", error)
        return []


def answer_dashboards(app: Sanic[Any, Any], jobs: JobSource | None = None) -> None:
    """In each server process: answer the dashboards' asks with this process's figures (and the
    jobs ``jobs`` lists)."""
    last_answer = [0.0]

    def asked(message: TopicMessage) -> Awaitable[None] | None:
        now = time.monotonic()
        if message.resync or now - last_answer[0] < ANSWER_EVERY_SECONDS:
            return None
        last_answer[0] = now
        return _answer()

    async def _answer() -> None:
        figures = watch()  # from the first ask on: collected in this process
        await publish(FIGURES_TOPIC, report(figures, await _jobs(jobs)))

    async def listen(_app: Sanic[Any, Any]) -> None:
        current_pubsub().subscribe(ASK_TOPIC, asked)

    app.after_server_start(listen)


# --- the page -----------------------------------------------------------------------------


Reports = dict[str, dict[str, Any]]


def _fresh(reports: Reports, now: float) -> Reports:
    return {name: found for name, found in reports.items() if now - found["sent_at"] < FORGET_AFTER_SECONDS}


async def _keep_asking() -> None:
    while True:
        await publish(ASK_TOPIC, {})
        await every_second()


def _ask_every_second() -> Callable[[], None]:
    asking = asyncio.get_running_loop().create_task(_keep_asking(), name="dashboard")

    def stop() -> None:
        asking.cancel()

    return stop


# The element every live page holds (heavy's page script hands the first paint over once the
# live layout has rendered it); its data-title is the window title.
TITLE_MARKER_ID = "heavy-page-title"


def dashboard_title(settings: HeavySettings) -> str:
    """The dashboard's window title."""
    return f"Dashboard · {settings.app_title}"


@component
def Dashboard(title: str = "Dashboard") -> Any:  # noqa: N802 - a component, named as ReactPy names them
    """The dashboard page: every instance's figures, asked for each second."""
    here = instance_name()
    reports, set_reports = heavy_use_state(lambda: {here: report(live_figures())})

    def received(message: TopicMessage) -> None:
        payload = message.payload
        if message.resync or not isinstance(payload, dict) or not isinstance(payload.get("instance"), str):
            return
        set_reports(lambda old: _fresh({**old, payload["instance"]: payload}, time.time()))

    heavy_use_topic(FIGURES_TOPIC, received)
    heavy_use_effect(_ask_every_second, [])
    shown = sorted(reports.values(), key=lambda found: (found["instance"] != here, found["instance"]))
    return html.main(
        {"id": "heavy-dashboard", "className": "heavy-dash"},
        html.link({"rel": "stylesheet", "href": STYLESHEET_PATH}),
        html.h1("Dashboard"),
        html.p(
            {"className": "heavy-dash-note"},
            f"Development only: this page is not served in PRODUCTION. This page is served by {here}; "
            f"figures of {len(shown)} instance{'s' if len(shown) != 1 else ''}, updated every second, "
            "counted from the first time a dashboard asked each instance.",
        ),
        _totals(shown),
        _event_chart(shown),
        _instances(shown, here),
        _slowest_handlers(shown),
        _jobs_table(shown),
        html.span({"id": TITLE_MARKER_ID, "hidden": True, "data-title": title}),
    )


def _per_second(shown: list[dict[str, Any]]) -> list[int]:
    totals = [0] * HISTORY_SECONDS
    for found in shown:
        for index, count in enumerate(found["per_second"][-HISTORY_SECONDS:]):
            totals[index] += count
    return totals


def _card(label: str, value: str, id: str) -> Any:
    return html.div(
        {"className": "heavy-dash-card"},
        html.div({"className": "heavy-dash-value", "id": id}, value),
        html.div({"className": "heavy-dash-label"}, label),
    )


def _totals(shown: list[dict[str, Any]]) -> Any:
    pages = sum(found["open_pages"] for found in shown)
    rss = sum(found["rss_bytes"] for found in shown)
    last = _per_second(shown)[-5:]
    return html.section(
        {"className": "heavy-dash-cards"},
        _card("open pages", str(pages), "dash-open-pages"),
        _card("events per second (last 5 s)", f"{sum(last) / 5:.1f}", "dash-events-per-second"),
        _card("events counted", str(sum(found["events"] for found in shown)), "dash-events"),
        _card("memory per page", _kib(rss / pages) if pages else "-", "dash-memory-per-page"),
    )


def _event_chart(shown: list[dict[str, Any]]) -> Any:
    counts = _per_second(shown)
    top = max(counts) or 1
    bars = [
        html.div(
            # Heights by class, in 5 % steps: the page's policy refuses style attributes in HTML.
            {"key": str(index), "className": f"heavy-dash-bar heavy-dash-h{round(20 * count / top)}"},
            html.span({"className": "heavy-dash-tip"}, str(count)),
        )
        for index, count in enumerate(counts)
    ]
    return html.section(
        html.h2(f"Events per second, last {HISTORY_SECONDS} s (highest {max(counts)})"),
        html.div({"className": "heavy-dash-chart", "id": "dash-event-chart"}, *bars),
    )


def _instances(shown: list[dict[str, Any]], here: str) -> Any:
    rows = []
    for found in shown:
        pools_text = ", ".join(
            f"{pool['database']}: {pool['in_use']}/{pool['size']} in use"
            + (f" (+{pool['overflow']} overflow)" if pool["overflow"] else "")
            for pool in found["pools"]
        )
        pages = found["open_pages"]
        rows.append(
            html.tr(
                {"key": found["instance"]},
                html.td(found["instance"] + (" (this page)" if found["instance"] == here else "")),
                html.td(str(pages)),
                html.td(_mib(found["rss_bytes"])),
                html.td(_kib(found["rss_bytes"] / pages) if pages else "-"),
                html.td(pools_text or "-"),
                html.td(time.strftime("%H:%M:%S", time.localtime(found["since"]))),
            )
        )
    return html.section(
        html.h2("Instances"),
        html.table(
            {"id": "dash-instances"},
            html.thead(
                html.tr(
                    *(
                        html.th(name)
                        for name in (
                            "instance",
                            "open pages",
                            "memory (RSS)",
                            "per page",
                            "database pools",
                            "since",
                        )
                    )
                )
            ),
            html.tbody(*rows),
        ),
    )


def _merged_handlers(shown: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for found in shown:
        for row in found["handlers"]:
            key = (row["component"], row["handler"])
            into = merged.setdefault(
                key, {**row, "events": 0, "seconds": 0.0, "db_seconds": 0.0, "statements": 0, "slowest": 0.0}
            )
            for name in ("events", "seconds", "db_seconds", "statements"):
                into[name] += row[name]
            into["slowest"] = max(into["slowest"], row["slowest"])
    rows = [row for row in merged.values() if row["events"]]
    return sorted(rows, key=lambda row: row["seconds"] / row["events"], reverse=True)[:SLOWEST_SHOWN]


def _slowest_handlers(shown: list[dict[str, Any]]) -> Any:
    rows = [
        html.tr(
            {"key": f"{row['component']}.{row['handler']}"},
            html.td(row["component"]),
            html.td(row["handler"]),
            html.td(str(row["events"])),
            html.td(_ms(row["seconds"] / row["events"])),
            html.td(_ms(row["slowest"])),
            html.td(_ms(row["db_seconds"] / row["events"])),
            html.td(f"{row['statements'] / row['events']:.1f}"),
        )
        for row in _merged_handlers(shown)
    ]
    headings = ("component", "handler", "events", "mean ms", "slowest ms", "database ms (mean)", "statements")
    return html.section(
        html.h2("Slowest handlers"),
        html.table(
            {"id": "dash-handlers"},
            html.thead(html.tr(*(html.th(name) for name in headings))),
            html.tbody(*rows) if rows else html.tbody(html.tr(html.td({"colSpan": 7}, "No event yet."))),
        ),
    )


def _jobs_table(shown: list[dict[str, Any]]) -> Any:
    if all(found["jobs"] is None for found in shown):
        return html.section(html.h2("Jobs"), html.p({"id": "dash-jobs"}, "This app has no job queue."))
    # Every instance reads the one queue in the shared database: each run once.
    jobs = {job["id"]: job for found in shown for job in found["jobs"] or ()}
    rows = [
        html.tr(
            {"key": job["id"]},
            html.td(job["name"]),
            html.td(job["state"]),
            html.td(
                html.progress({"max": 100, "value": job["percent"]}) if job["percent"] is not None else "-",
                f" {job['percent']} %" if job["percent"] is not None else "",
            ),
            html.td(job["detail"]),
        )
        for job in jobs.values()
    ]
    return html.section(
        html.h2("Jobs"),
        html.table(
            {"id": "dash-jobs"},
            html.thead(html.tr(*(html.th(name) for name in ("job", "state", "progress", "detail")))),
            html.tbody(*rows) if rows else html.tbody(html.tr(html.td({"colSpan": 4}, "No job now."))),
        ),
    )


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.1f}"


def _kib(size: float) -> str:
    return _mib(size) if size >= 10 * 1024 * 1024 else f"{size / 1024:,.0f} KiB"


def _mib(size: float) -> str:
    return f"{size / 1024 / 1024:,.1f} MiB"


# --- serving ------------------------------------------------------------------------------


def install_dashboard(
    app: Sanic[Any, Any],
    settings: HeavySettings,
    page_head: Callable[[str], str],
    jobs: JobSource | None = None,
) -> None:
    """Serve the dashboard at ``DASHBOARD_PATH`` (a page of the product's ``page_head``, with its
    first paint; its live connection is the stream route's, see ``serves_dashboard``) and its
    stylesheet, and answer dashboards' asks from each process (with the jobs ``jobs`` lists,
    when the app has a queue). Never in PRODUCTION."""
    if settings.is_production:
        raise ValueError("The dashboard is for development: PRODUCTION never serves it")
    shell = PageShell.build(page_head, settings.max_websocket_message_bytes)
    title = dashboard_title(settings)

    async def page(request: Request) -> HTTPResponse:
        first_paint = await render_first_paint(Dashboard(title), Location(pathname=request.path, search=""))
        return HTTPResponse(
            shell.page(title, first_paint),
            headers={"Cache-Control": "no-store"},
            content_type="text/html; charset=utf-8",
        )

    async def stylesheet(_request: Request) -> HTTPResponse:
        return await file(STYLESHEET, mime_type="text/css")

    app.add_route(page, DASHBOARD_PATH, name="heavy_dashboard")
    app.add_route(stylesheet, STYLESHEET_PATH, name="heavy_dashboard_css")
    answer_dashboards(app, jobs)
