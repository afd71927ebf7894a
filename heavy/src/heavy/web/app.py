"""``create_app``: a product's Sanic app, built from its settings, root, pages, services and jobs.

What the framework registers on every app:

- the live stream (ReactPy's websocket route and assets) mounting the product's root for each
  connection, and the pages: every address answers with its route's title, status and first
  paint (``pages.py``, ``first_paint.py``);
- ``/livez`` (the process answers) and ``/readyz`` = ``/healthz`` (both databases answer);
- logging, security and HTTP defaults (``logs.py``, ``security/``, ``http_defaults.py``);
- OpenTelemetry export when the ``OTEL_*`` variables ask for it (``heavy.telemetry``), and
  outside PRODUCTION the development dashboard at ``/_heavy/dashboard``;
- the product's static folder under ``/static``;
- listeners: in the main process, the product's preparations before any worker starts and
  after the last one stopped; in each worker, the services opened before it serves (and closed
  after it stopped), the jobs started once it serves (and cancelled before the services close).

What stays the product's: its settings, root component, pages table, how its services open and
close, its jobs, who a request comes from (``visitor``), and its own routes and middleware
(``routes``). Sanic's ``app.ctx`` is a ``HeavyState``: typed, and read with ``app_state(request)``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar, cast
from zoneinfo import ZoneInfo

from heavy.data.db_connection import DB_TIMEOUT_SECONDS, Database
from heavy.data.replicas import start_read_scope
from heavy.heavy_context import Services
from heavy.hooks import finish_abandoned_work
from heavy.i18n import Languages, speaking
from heavy.live.stream import install_live_pages
from heavy.settings import HeavySettings
from heavy.stream.guard import StreamTap
from heavy.tasks.task import Schedule, Task
from heavy.tasks.worker import TaskWorker
from heavy.telemetry import install_telemetry
from heavy.telemetry.dashboard import (
    Dashboard,
    dashboard_title,
    install_dashboard,
    recent_task_runs,
    serves_dashboard,
)
from heavy.web.census import install_census
from heavy.web.client import client_texts, install_client
from heavy.web.first_paint import render_first_paint
from heavy.web.garbage_collection import tune_garbage_collector
from heavy.web.health import install_health_routes
from heavy.web.http_defaults import html_response, install_http_defaults
from heavy.web.jobs import Job
from heavy.web.languages import install_languages, language_attributes
from heavy.web.logs import configure_logging, install_log_scopes
from heavy.web.pages import Pages, PageShell
from heavy.web.pubsub_server import pubsub_transport, serving_pubsub, sharing_write_positions
from heavy.web.requests import refuse_unparsable_urls
from heavy.web.security import install_security_defaults
from heavy.web.security.origin import is_websocket_request
from heavy.web.task_dump import install_task_dump
from heavy.web.theme import THEME_COOKIE, provide_theme, theme_document_attributes, theme_from_cookie
from heavy.web.time_zone import TIME_ZONE_COOKIE, provide_time_zone, time_zone_from_cookie
from heavy.web.worker_manager import hold_stops_until_workers_started
from reactpy import component
from reactpy.backend.sanic import use_request
from reactpy.backend.types import Location
from sanic import Request, Sanic
from sanic.config import Config
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

# Seconds an idle keep-alive connection stays open (Sanic's default is 120).
KEEP_ALIVE_TIMEOUT = 15
# How long a stopping worker waits for its cancelled jobs before closing the services.
JOB_STOP_SECONDS = 2.0


SettingsT = TypeVar("SettingsT", bound=HeavySettings)
ServicesT = TypeVar("ServicesT", bound=Services)
VisitorT = TypeVar("VisitorT")


class NotStartedError(RuntimeError):
    """Something asked for the app's services before the server's start-up listener opened them."""


@dataclass
class HeavyState(Generic[SettingsT, ServicesT]):
    """Sanic's ``app.ctx`` of an app ``create_app`` built: what one server process keeps."""

    settings: SettingsT
    # Shown every websocket message (the stream recorder is one; see heavy/stream/guard.py).
    stream_taps: list[StreamTap] = field(default_factory=list)
    # Opened before the process serves, closed after it stopped (``services``).
    opened_services: ServicesT | None = None
    jobs: list[asyncio.Task[None]] = field(default_factory=list)
    _exit_stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def services(self) -> ServicesT:
        """The services this process opened; ``NotStartedError`` before the server starts."""
        if self.opened_services is None:
            raise NotStartedError("The app's services open when the server starts (before_server_start).")
        return self.opened_services


class HeavyApp(Sanic[Config, HeavyState[Any, Any]]):
    """The Sanic app ``create_app`` builds (``app.ctx`` is its ``HeavyState``): Sanic's, serving on
    an event loop that accepts several waiting connections at each turn (``heavy.web.event_loop``)."""

    def setup_loop(self) -> None:
        # Sanic calls it in each serving process, just before it makes the event loop.
        if sys.platform != "win32" and sys.implementation.name == "cpython":  # where uvloop installs
            from heavy.web.event_loop import install_event_loop  # imports uvloop

            install_event_loop(self.config)
        super().setup_loop()


def app_state(request: Request) -> HeavyState[Any, Any]:
    """The state of the app serving ``request`` (a product narrows it to its own types)."""
    state = request.app.ctx
    if not isinstance(state, HeavyState):
        raise TypeError(
            f"{request.app.name} was not built by heavy.create_app (its ctx is {type(state).__name__})"
        )
    return state


def create_app(
    settings: SettingsT,
    root: Callable[[ServicesT, VisitorT], Any],
    *,
    name: str,
    pages: Pages,
    page_head: Callable[[str], str],
    services: Callable[[SettingsT], AbstractAsyncContextManager[ServicesT]],
    visitor: Callable[[Request, ServicesT], Awaitable[VisitorT]],
    jobs: Sequence[Job[ServicesT]] = (),
    tasks: Sequence[Task[ServicesT]] = (),
    schedules: Sequence[Schedule[ServicesT]] = (),
    static_dir: Path | None = None,
    routes: Sequence[Callable[[HeavyApp], None]] = (),
    no_head: Sequence[str] = (),
    before_workers: Sequence[Callable[[SettingsT], Awaitable[None]]] = (),
    after_workers: Sequence[Callable[[SettingsT], Awaitable[None]]] = (),
    on_start: Sequence[Callable[[HeavyApp], Awaitable[None]]] = (),
    on_stop: Sequence[Callable[[HeavyApp], Awaitable[None]]] = (),
    languages: Languages | None = None,
) -> HeavyApp:
    """Build a product's app. Nothing is opened or connected until the server starts.

    Call it in the product's own factory (``sanic my_app.app:create_app --factory`` runs that in
    every worker process). Besides what is given here the app gets the framework's logging
    (``configure_logging``, log scopes), security defaults, HTTP defaults and health routes.

    - ``settings``: the product's settings (a ``HeavySettings``); ``app_state(request).settings``.
    - ``root(services, visitor)``: the product's root component, mounted for each live
      connection and rendered for each page's first paint; it shows ``pages``.
    - ``name``: Sanic's app name.
    - ``pages``: the product's pages table (the last one takes any address); a page's title
      ends with ``settings.app_title``.
    - ``page_head(title)``: the ``<head>`` contents of every page (title, styles, scripts); heavy's
      client scripts follow it.
    - ``services(settings)``: an async context manager that opens the product's services (in
      each server process, before it serves) and closes them (after it stopped); its value is
      ``app_state(request).services`` and what ``root`` and the jobs receive.
    - ``visitor(request, services)``: who a page request or a live connection comes from, looked
      up before the first paint and before a connection's layout; ``root`` receives it.
    - ``jobs``: what each server process runs while it serves (``heavy.every``, ``heavy.Job``).
    - ``tasks`` / ``schedules``: work queued in PostgreSQL (``heavy.task``, ``heavy.schedule``):
      each server process runs a queue worker that takes runs of ``tasks`` (``heavy/tasks/``).
    - ``static_dir``: served under ``/static``.
    - ``routes``: called with the app after the framework's middleware and before its pages:
      the product's own routes and middleware (a page address it takes is no longer a page).
    - ``no_head``: paths whose ``GET`` must not be answered for ``HEAD`` too (it spends
      something, such as a single-use ticket).
    - ``before_workers`` / ``after_workers``: awaited in the main process (also under
      ``sanic module:create_app --factory``) before any worker starts and after the last one
      stopped, with the settings: preparing and releasing what all workers share.
    - ``on_start`` / ``on_stop``: awaited in each worker once its services are open and it
      serves, and before its services close.
    - ``languages``: what the pages speak (``Languages.load(folder)``); each request speaks the
      visitor's choice or its browser's best match (``heavy.web.languages``). English alone
      when None.
    """
    app = HeavyApp(name, ctx=HeavyState[SettingsT, ServicesT](settings))
    # After Sanic(): it resets its own loggers. In each worker process too: the factory runs there.
    configure_logging(settings)
    install_log_scopes(app)
    # Each request and live connection reads as one visitor (heavy.data.replicas; read_as names it).
    app.signal("http.lifecycle.request")(_open_read_scope)
    # Under Sanic's own command too (its --access-logs flags still win).
    app.config.ACCESS_LOG = settings.logs_access()
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_TIMEOUT
    install_security_defaults(app, settings)
    refuse_unparsable_urls(app)
    install_languages(app, languages or Languages.load(None), secure_cookie=settings.is_production)
    if static_dir is not None:
        app.static("/static", static_dir, name="static")
    install_health_routes(app, lambda request: cast(Database, app_state(request).services.database))
    for install in routes:
        install(app)
    _install_stream(app, root, dashboard=None if settings.is_production else dashboard_title(settings))
    if not settings.is_production:  # in PRODUCTION its address is just a page no route has
        runs = (lambda: recent_task_runs(cast(Database, app.ctx.services.database))) if tasks else None
        install_dashboard(app, settings, page_head, jobs=runs)
        install_census(app)  # what live pages keep, counted (docs/benchmarks.md, "Memory")
    install_client(app)  # the pages' scripts (heavy_page.js, heavy_live.js)
    _install_pages(app, root, pages, settings, page_head, visitor)
    # Last: it adds HEAD to the routes registered above.
    install_http_defaults(app, no_head=no_head)
    # Before the services open: the engines they make are instrumented.
    install_telemetry(app, name)
    if tasks:
        worker = TaskWorker(tuple(tasks), tuple(schedules), settings.task_heartbeat_seconds)
        if settings.run_tasks:
            jobs = [*jobs, Job("Task queue", worker.run)]
    elif schedules:
        raise ValueError("create_app(schedules=...) needs the scheduled tasks in tasks=[...]")
    _install_listeners(app, services, jobs, before_workers, after_workers, on_start, on_stop)
    return app


def _install_stream(
    app: HeavyApp, root: Callable[[ServicesT, VisitorT], Any], *, dashboard: str | None
) -> None:
    """ReactPy's client files and the live stream; each connection's layout is
    ``root(services, visitor)`` (or, given its title in ``dashboard``, the dashboard at its address)."""

    @component
    def ServerRoot() -> Any:  # noqa: N802 - a component, named as ReactPy names them
        request = use_request()
        provide_theme(theme_from_cookie(request.cookies.get(THEME_COOKIE)))
        provide_time_zone(time_zone_from_cookie(request.cookies.get(TIME_ZONE_COOKIE)))
        if dashboard is not None and serves_dashboard(request.path):
            return Dashboard(dashboard)
        return root(app_state(request).services, request.ctx.heavy_visitor)

    install_live_pages(app, ServerRoot)


def _install_pages(
    app: HeavyApp,
    root: Callable[[ServicesT, VisitorT], Any],
    pages: Pages,
    settings: HeavySettings,
    page_head: Callable[[str], str],
    visitor: Callable[[Request, ServicesT], Awaitable[VisitorT]],
) -> None:
    """Answer ``/`` and every other address no route took with its page, and look up the
    visitor of each live connection before its layout renders."""
    shell = PageShell.build(page_head, settings.max_websocket_message_bytes)
    title = settings.app_title

    async def page(request: Request, path: str = "") -> HTTPResponse:
        services = cast(ServicesT, app_state(request).services)
        route = pages.page_for(request.path)
        location = Location(
            pathname=request.path, search=f"?{request.query_string}" if request.query_string else ""
        )
        theme = theme_from_cookie(request.cookies.get(THEME_COOKIE))
        language = request.ctx.heavy_language
        with speaking(language):
            zone = time_zone_from_cookie(request.cookies.get(TIME_ZONE_COOKIE))
            page_root = FirstPaintRoot(root(services, await visitor(request, services)), theme, zone)
            first_paint = await render_first_paint(page_root, location)
            page_title = route.full_title(title)
        # The first paint may show who is signed in: no shared cache may keep it.
        headers = {"Cache-Control": "private, no-cache", "Vary": "Cookie, Accept-Language"}
        document = shell.page(
            page_title,
            first_paint,
            language_attributes(language) + theme_document_attributes(theme),
            client_texts(language),
        )
        return html_response(request, document, status=route.status, headers=headers)

    async def identify(request: Request) -> None:
        # Registered after the security middleware and the product's own (``routes``): a
        # websocket their checks refuse is never looked up.
        if is_websocket_request(request):
            request.ctx.heavy_visitor = await visitor(request, cast(ServicesT, app_state(request).services))

    app.add_route(page, "/", name="page_root")
    app.add_route(page, "/<path:path>", name="page_path")
    app.register_middleware(identify, "request")


@component
def FirstPaintRoot(page_root: Any, theme: str, zone: ZoneInfo | None) -> Any:  # noqa: N802 - a component
    """What the live connection's root provides above the product's root, for a first paint."""
    provide_theme(theme)
    provide_time_zone(zone)
    return page_root


def _install_listeners(
    app: HeavyApp,
    services: Callable[[SettingsT], AbstractAsyncContextManager[ServicesT]],
    jobs: Sequence[Job[ServicesT]],
    before_workers: Sequence[Callable[[SettingsT], Awaitable[None]]],
    after_workers: Sequence[Callable[[SettingsT], Awaitable[None]]],
    on_start: Sequence[Callable[[HeavyApp], Awaitable[None]]],
    on_stop: Sequence[Callable[[HeavyApp], Awaitable[None]]],
) -> None:
    state = cast(HeavyState[SettingsT, ServicesT], app.ctx)

    async def prepare(_app: HeavyApp) -> None:
        for hook in before_workers:
            await hook(state.settings)

    async def release(_app: HeavyApp) -> None:
        for hook in after_workers:
            await hook(state.settings)

    async def open_services(_app: HeavyApp) -> None:
        state.opened_services = await state._exit_stack.enter_async_context(services(state.settings))
        # Pages publish and follow topics across processes (closed before the services).
        database = state.opened_services.database
        transport = pubsub_transport(app.name, state.settings, database)
        pubsub = await state._exit_stack.enter_async_context(serving_pubsub(transport))
        state._exit_stack.enter_context(sharing_write_positions(pubsub, database))

    async def start(_app: HeavyApp) -> None:
        opened = state.services
        state.jobs = [asyncio.create_task(job.run_logged(opened), name=job.name) for job in jobs]
        for hook in on_start:
            await hook(app)

    async def stop_jobs(_app: HeavyApp) -> None:
        for task in state.jobs:
            task.cancel()
        # Ended before the services they use close; one stuck past its cancellation (a thread it
        # waits on) does not hold the stop up for long.
        if state.jobs:
            _done, stuck = await asyncio.wait(state.jobs, timeout=JOB_STOP_SECONDS)
            for task in stuck:
                logger.warning(
                    "Job %s did not end within %.0f s of the stop", task.get_name(), JOB_STOP_SECONDS
                )
        state.jobs = []

    async def close_services(_app: HeavyApp) -> None:
        try:
            for hook in on_stop:
                await hook(app)
            # Saves clicked just before a tab closed end before the services they use close.
            await finish_abandoned_work(within=DB_TIMEOUT_SECONDS)
        finally:
            state.opened_services = None
            await state._exit_stack.aclose()

    # Main process (also of ``sanic module:create_app --factory``).
    app.main_process_start(prepare)
    # Main process of Sanic's worker manager only: a stop asked for while workers start.
    app.main_process_ready(hold_stops_until_workers_started)
    app.main_process_stop(release)
    app.before_server_start(open_services)
    # Before the worker says it has started: Sanic 25.12 loses a stop that reaches a worker still
    # in its after_server_start listeners.
    app.before_server_start(lambda _app: tune_garbage_collector())
    # kill -USR1 logs every task and where it waits (a stop or a page that hangs).
    app.before_server_start(lambda _app: install_task_dump(asyncio.get_running_loop()))
    app.after_server_start(start)
    app.before_server_stop(stop_jobs)
    app.after_server_stop(close_services)


async def _open_read_scope(request: Request) -> None:
    start_read_scope()
