"""The app: this product's settings, root, pages, services, jobs and routes, given to
``heavy.create_app`` (which registers the live stream, the pages with their first paint, health
routes, logging, security and HTTP defaults, and the start-up and shut-down listeners)."""

from __future__ import annotations

import logging
from pathlib import Path

import heavy
from heavy import HeavyApp, StreamRecorder
from sanic import Request
from sanic.response import BaseHTTPResponse

from heavy_stack.backend.data import migrations
from heavy_stack.backend.services.container import (
    AppServices,
    forget_expired,
    open_services,
    supervise_embedded_database,
)
from heavy_stack.backend.services.reindex import reindex_notes
from heavy_stack.backend.services.task_housekeeping import NIGHTLY, forget_old_task_runs
from heavy_stack.backend.web.accounts import (
    SIGN_IN_COMPLETE_PATH,
    SIGN_OUT_COMPLETE_PATH,
    install_accounts,
    visitor_of,
)
from heavy_stack.backend.web.cookies import AccountCookies
from heavy_stack.backend.web.note_import import install_note_import
from heavy_stack.frontend.app_root import PAGES, AppRoot
from heavy_stack.frontend.brython_assets import page_head_html, register_brython_routes, register_icon_route
from heavy_stack.frontend.languages import languages
from heavy_stack.settings import Settings

logger = logging.getLogger(__name__)

APP_NAME = "heavy_stack"
# Inside the package, so a built wheel (and the production image) serves them too.
STATIC_DIR = Path(__file__).parent / "static"
# How often expired sessions and rate-limit counters are deleted.
HOUSEKEEPING_SECONDS = 3600


def create_app(*, settings: Settings | None = None, name: str = APP_NAME) -> HeavyApp:
    """Build the app. Nothing is connected until the server starts.

    Keyword-only: Sanic's own command (``sanic heavy_stack.app:create_app --factory``) first
    tries to call a factory with its parsed command line, and calls it bare when that fails.
    """
    settings = settings or Settings()

    def routes(app: HeavyApp) -> None:
        register_brython_routes(app)
        register_icon_route(app)
        install_accounts(app)
        heavy.install_dev_mailbox(app, settings)  # DEV only: what the local mail catcher caught
        install_note_import(app)
        if settings.recording_path is not None:
            _record_sessions(app, settings.recording_path)

    return heavy.create_app(
        settings,
        AppRoot,
        name=name,
        pages=PAGES,
        page_head=page_head_html,
        services=open_services,
        visitor=visitor_of,
        jobs=[
            # Notes saved while the vector database was down get their embeddings.
            heavy.every(settings.embedding_retry_seconds, _catch_up_notes, "Note catch-up"),
            heavy.every(HOUSEKEEPING_SECONDS, forget_expired, "Housekeeping"),
            # Our own development database: started again if it dies.
            heavy.Job("Embedded PostgreSQL supervisor", supervise_embedded_database),
        ],
        # Queued in PostgreSQL, run by whichever process's queue worker is free (docs/jobs.md).
        tasks=[reindex_notes, forget_old_task_runs],
        # Started once across all instances at each time (pgqueuer's scheduler).
        schedules=[heavy.schedule(NIGHTLY, forget_old_task_runs, owner="housekeeping")],
        static_dir=STATIC_DIR,
        routes=[routes],
        # Their GET spends a single-use ticket: no HEAD.
        no_head=(SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH),
        # Main process (also of ``sanic heavy_stack.app:create_app --factory``): the embedded
        # database is started and migrated once, before any worker, as ``python -m heavy_stack`` does.
        before_workers=[_prepare_before_workers],
        after_workers=[lambda _settings: migrations.release_prepared_databases()],
        on_start=[_announce],
        languages=languages(),
    )


async def _catch_up_notes(services: AppServices) -> None:
    await services.note_search.catch_up()


def _record_sessions(app: HeavyApp, path: Path) -> None:
    """Record every connection, grouped by browser, and the hand-offs between a visit's pages."""
    recorder = StreamRecorder(path, browser_of=AccountCookies(app.ctx.settings).browser_binding)
    app.ctx.stream_taps.append(recorder)

    async def record_hand_off(request: Request, response: BaseHTTPResponse) -> None:
        if request.path in (SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH):
            recorder.http(request, response.status, response.headers.get("location"))

    app.register_middleware(record_hand_off, "response")
    app.before_server_start(lambda _app: recorder.open())
    app.after_server_stop(lambda _app: recorder.close())


async def _prepare_before_workers(settings: Settings) -> None:
    if not settings.uses_embedded_db:
        return
    try:
        await migrations.prepare_embedded_database(settings)
    except migrations.SchemaStateError as error:
        logger.error("Cannot start: %s", error)
        raise SystemExit(2) from None


async def _announce(app: HeavyApp) -> None:
    where = "the embedded PostgreSQL" if app.ctx.settings.uses_embedded_db else "the configured database"
    # Where Sanic really listens: ``sanic ... --port`` may differ from the settings.
    logger.info("Serving %s on %s (Ctrl+C stops)", app.serve_location, where)
