"""The app factory: builds the Sanic app; listeners open and close what it uses."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from heavy import (
    DB_TIMEOUT_SECONDS,
    Database,
    EmbeddedPostgres,
    StreamRecorder,
    configure_logging,
    finish_abandoned_work,
    hold_stops_until_workers_started,
    install_client,
    install_health_routes,
    install_http_defaults,
    install_log_scopes,
    install_security_defaults,
    is_unavailable,
    refuse_unparsable_urls,
    tune_garbage_collector,
)
from reactpy.backend.sanic import Options, configure
from sanic import Request, Sanic
from sanic.response import BaseHTTPResponse

from heavy_stack import reactpy_patches
from heavy_stack.backend.data import migrations
from heavy_stack.backend.data.pave import SERVER_APPLICATION_NAME
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.background import run_every
from heavy_stack.backend.services.container import AppServices
from heavy_stack.backend.services.embeddings import shutdown_embedding_worker
from heavy_stack.backend.web.accounts import SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH, install_accounts
from heavy_stack.backend.web.app_state import AppState, HeavyApp, app_state
from heavy_stack.backend.web.cookies import AccountCookies
from heavy_stack.frontend.app_root import ServerRoot
from heavy_stack.frontend.brython_assets import register_brython_routes
from heavy_stack.frontend.page_html import install_pages
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
    reactpy_patches.install()
    app: HeavyApp = Sanic(name, ctx=AppState(settings))
    # After Sanic(): it resets its own loggers. In each worker process too: the factory runs there.
    configure_logging(settings)
    install_log_scopes(app)
    # HEAVY_STACK_ACCESS_LOG under Sanic's own command too (its --access-logs flags still win).
    app.config.ACCESS_LOG = settings.logs_access()
    app.config.KEEP_ALIVE_TIMEOUT = 15
    install_security_defaults(app, settings)
    refuse_unparsable_urls(app)
    app.static("/static", STATIC_DIR, name="static")
    install_health_routes(app, lambda request: app_state(request).services.database)
    register_brython_routes(app)
    # ReactPy's stream and assets; the pages themselves (with their first paint) are ours.
    configure(app, ServerRoot, Options(serve_index_route=False))
    install_client(app)  # the pages' scripts (heavy_page.js, heavy_live.js)
    install_pages(app, settings)
    install_accounts(app)
    # Last: it adds HEAD to the routes registered above (not to the hand-offs that spend a ticket).
    install_http_defaults(app, no_head=(SIGN_IN_COMPLETE_PATH, SIGN_OUT_COMPLETE_PATH))
    if settings.recording_path is not None:
        _record_sessions(app, settings.recording_path)
    # Main process (also of ``sanic heavy_stack.app:create_app --factory``): the embedded
    # database is started and migrated once, before any worker, as ``python -m heavy_stack`` does.
    app.main_process_start(_prepare_before_workers)
    # Main process of Sanic's worker manager only: a stop asked for while workers start.
    app.main_process_ready(hold_stops_until_workers_started)
    app.main_process_stop(_release_prepared)
    app.before_server_start(_open_database)
    # Before the worker says it has started: Sanic 25.12 loses a stop that reaches a worker still
    # in its after_server_start listeners (tests/server/test_sanic_command.py).
    app.before_server_start(lambda _app: tune_garbage_collector())
    app.after_server_start(_announce)
    app.after_server_start(_start_background_jobs)
    app.before_server_stop(_stop_background_jobs)
    app.after_server_stop(_close_database)
    app.after_server_stop(lambda _app: shutdown_embedding_worker())
    # Registered last, so it runs first (Sanic runs stop listeners in reverse): saves clicked
    # just before a tab closed end before the database and the embedder go.
    app.after_server_stop(lambda _app: finish_abandoned_work(within=DB_TIMEOUT_SECONDS))
    return app


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


async def _prepare_before_workers(app: HeavyApp) -> None:
    settings = app.ctx.settings
    if not settings.uses_embedded_db:
        return
    try:
        await migrations.prepare_embedded_database(settings)
    except migrations.SchemaStateError as error:
        logger.error("Cannot start: %s", error)
        raise SystemExit(2) from None


async def _release_prepared(_app: HeavyApp) -> None:
    await migrations.release_prepared_databases()


async def _open_database(app: HeavyApp) -> None:
    settings = app.ctx.settings
    if settings.uses_embedded_db:
        # The main process has started and announced it (_prepare_before_workers): attach quietly.
        embedded = await EmbeddedPostgres.start(settings.data_dir, settings, announce=False)
        app.ctx.embedded_postgres = embedded
        sql_url, vector_url = embedded.sql_url, embedded.vector_url
    else:
        assert settings.sql_db_url is not None
        sql_url, vector_url = settings.sql_db_url, settings.vector_db_url or settings.sql_db_url
    database = Database.connect(
        sql_url, vector_url, pool_size=settings.db_pool_size, application_name=SERVER_APPLICATION_NAME
    )
    await _check_schema(settings, sql_url)
    services = app.ctx.opened_services = AppServices(database, settings, AccountStores.open(settings))
    # Load the embedder now (a model takes a moment), not on the first note someone opens.
    logger.info("Embedder: %s", services.embedder.name)


async def _check_schema(settings: Settings, sql_url: str) -> None:
    """The migrations are the schema: our embedded database is brought to their head; a
    configured one is only checked (``make migrate`` changes it), where the scripts are."""
    if not settings.uses_embedded_db and not migrations.scripts_available():
        return
    engine = migrations.migration_engine(sql_url)
    try:
        if settings.uses_embedded_db:
            logger.info("%s", await migrations.bring_to_head(engine))
        elif (state := await migrations.schema_state(engine)) is not None:
            logger.warning("%s", state)
    except migrations.SchemaStateError as error:
        logger.error("Cannot start: %s", error)
        raise SystemExit(2) from None
    except Exception as error:  # a configured database: the app serves on, /readyz says if it is down
        if settings.uses_embedded_db:
            raise
        reason = "it is unavailable" if is_unavailable(error) else f"{type(error).__name__}: {error}"
        logger.warning("Could not check the database's schema: %s", reason)
    finally:
        await engine.dispose()


async def _announce(app: HeavyApp) -> None:
    settings = app.ctx.settings
    where = "the embedded PostgreSQL" if settings.uses_embedded_db else "the configured database"
    # Where Sanic really listens: ``sanic ... --port`` may differ from the settings.
    logger.info("Serving %s on %s (Ctrl+C stops)", app.serve_location, where)


async def _start_background_jobs(app: HeavyApp) -> None:
    services = app.ctx.services
    notes = services.note_search
    app.ctx.background_jobs = [
        # Notes saved while the vector database was down get their embeddings.
        asyncio.create_task(
            run_every(services.settings.embedding_retry_seconds, notes.catch_up, "Note catch-up")
        ),
        asyncio.create_task(
            run_every(HOUSEKEEPING_SECONDS, lambda: _forget_expired(services), "Housekeeping")
        ),
    ]
    embedded = app.ctx.embedded_postgres
    if embedded is not None:  # our own development database: start it again if it dies
        app.ctx.background_jobs.append(asyncio.create_task(embedded.supervise()))


async def _forget_expired(services: AppServices) -> None:
    async with services.database.transaction():
        await services.accounts.delete_expired()


async def _stop_background_jobs(app: HeavyApp) -> None:
    for job in app.ctx.background_jobs:
        job.cancel()


async def _close_database(app: HeavyApp) -> None:
    services = app.ctx.opened_services
    if services is not None:
        await services.database.close()
        await services.account_stores.close()
    embedded = app.ctx.embedded_postgres
    if embedded is not None:
        await embedded.stop()
