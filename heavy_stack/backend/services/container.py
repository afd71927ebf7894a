"""``AppServices``: what the server opens at start-up and every handler needs, and how it opens.

``open_services`` is what ``heavy.create_app`` is given: it opens the services once per server
process (before it serves) and closes them after it stopped. The framework hands them to pages
(the root component) and to HTTP routes (``app_state(request).services``). Nothing here knows
about ReactPy or Sanic: the same container serves pages, routes, background jobs and tests.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from heavy import Database, EmbeddedPostgres, Mailer, NoMailer, open_mailer

from heavy_stack.backend.data import migrations
from heavy_stack.backend.data.model_managers.registry import Managers, managers
from heavy_stack.backend.data.pave import SERVER_APPLICATION_NAME
from heavy_stack.backend.services.accounts.service import AccountService
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.embeddings import Embedder, load_embedder, shutdown_embedding_worker
from heavy_stack.backend.services.note_import import NoteImporter
from heavy_stack.backend.services.note_search import NoteSearch
from heavy_stack.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppServices:
    """The databases, stores and settings of one server process, and the services over them.

    Everything is built when the container is (tests build one over their own database);
    ``open_services`` is how the server opens one and closes it.
    """

    database: Database
    settings: Settings
    # Sign-ins and rate-limit counters: in the SQL database unless Redis is configured.
    account_stores: AccountStores = field(default_factory=AccountStores)
    # Our own development database, when the settings ask for it (the server keeps it running).
    embedded_postgres: EmbeddedPostgres | None = None
    # Outgoing mail (heavy.open_mailer: SMTP, or in DEV the local catcher).
    mailer: Mailer = field(default_factory=NoMailer)
    accounts: AccountService = field(init=False)
    # The text embedder ``HEAVY_STACK_EMBEDDER`` names (loaded once per process).
    embedder: Embedder = field(init=False)
    note_search: NoteSearch = field(init=False)
    note_import: NoteImporter = field(init=False)

    def __post_init__(self) -> None:
        # Frozen: set once here, as the dataclass's own __init__ would.
        object.__setattr__(self, "accounts", AccountService(self.settings, self.account_stores, self.mailer))
        object.__setattr__(self, "embedder", load_embedder(self.settings.embedder))
        # The one embedder for stored vectors and queries alike: another's are not comparable.
        object.__setattr__(self, "note_search", NoteSearch(self.database, self.embedder))
        object.__setattr__(self, "note_import", NoteImporter(self.database, self.note_search))

    @property
    def managers(self) -> Managers:
        """Every model manager, built once (they hold no state: sessions come from the context)."""
        return managers()


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[AppServices]:
    """The services of one server process: its databases connected (the schema checked), its
    stores and embedder ready; everything closed again on exit."""
    async with AsyncExitStack() as opened:
        embedded: EmbeddedPostgres | None = None
        if settings.uses_embedded_db:
            # The main process has started and announced it (before the workers): attach quietly.
            embedded = await EmbeddedPostgres.start(settings.data_dir, settings, announce=False)
            opened.push_async_callback(embedded.stop)
            sql_url, vector_url = embedded.sql_url, embedded.vector_url
        else:
            assert settings.sql_db_url is not None
            sql_url, vector_url = settings.sql_db_url, settings.vector_db_url or settings.sql_db_url
        database = Database.connect(
            sql_url,
            vector_url,
            pool_size=settings.db_pool_size,
            application_name=SERVER_APPLICATION_NAME,
            transaction_pooler=settings.behind_transaction_pooler,
            direct_sql_url=settings.sql_direct_url,
            read_urls=settings.sql_read_urls,
        )
        opened.push_async_callback(database.close)
        await migrations.check_schema(settings, database.direct_sql_url)
        stores = AccountStores.open(settings)
        opened.push_async_callback(stores.close)
        # Queued embeddings are dropped at stop: their notes stay pending for the next catch-up.
        opened.callback(shutdown_embedding_worker)
        mailer = await opened.enter_async_context(open_mailer(settings))
        # The embedder loads now (a model takes a moment), not on the first note someone opens.
        services = AppServices(database, settings, stores, embedded, mailer)
        logger.info("Embedder: %s", services.embedder.name)
        yield services


async def supervise_embedded_database(services: AppServices) -> None:
    """Start our embedded PostgreSQL again whenever it stops, until cancelled (a job)."""
    if services.embedded_postgres is not None:
        await services.embedded_postgres.supervise()


async def forget_expired(services: AppServices) -> None:
    """Delete expired sessions, rate-limit counters and e-mailed links, and the embeddings of
    deleted accounts that a vector database outage left behind (a job)."""
    async with services.database.transaction():
        await services.accounts.delete_expired()
    await services.note_search.forget_orphans()
