"""``AppServices``: what the server opens at start-up and every handler needs.

Built once per server process (in the app's start-up listener) and handed to pages through
ReactPy's context and to HTTP routes through ``app.ctx``. Nothing here knows about ReactPy or
Sanic: the same container serves pages, routes, background jobs and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from heavy import Database

from heavy_stack.backend.data.model_managers.registry import Managers, managers
from heavy_stack.backend.services.accounts.service import AccountService
from heavy_stack.backend.services.accounts.stores import AccountStores
from heavy_stack.backend.services.embeddings import Embedder, load_embedder
from heavy_stack.backend.services.note_search import NoteSearch
from heavy_stack.settings import Settings


@dataclass(frozen=True)
class AppServices:
    """The databases, stores and settings of one server process, and the services over them."""

    database: Database
    settings: Settings
    # Sign-ins and rate-limit counters: in the SQL database unless Redis is configured.
    account_stores: AccountStores = field(default_factory=AccountStores)

    @property
    def managers(self) -> Managers:
        """Every model manager, built once (they hold no state: sessions come from the context)."""
        return managers()

    @cached_property
    def accounts(self) -> AccountService:
        return AccountService(self.settings, self.account_stores)

    @property
    def embedder(self) -> Embedder:
        """The text embedder ``HEAVY_STACK_EMBEDDER`` names (loaded once per process)."""
        return load_embedder(self.settings.embedder)

    @cached_property
    def note_search(self) -> NoteSearch:
        # The one embedder for stored vectors and queries alike: another's are not comparable.
        return NoteSearch(self.database, self.embedder)
