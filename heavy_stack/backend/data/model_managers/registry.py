"""``Managers``: the app's managers, in one place, for handlers and services alike.

Managers hold no state (their repositories take the session from the context variable), so
one of each, with the output the app reads it by, serves every handler, job and test::

    notes = await managers().notes.list_owned(owner_id)          # services, jobs, tests
    notes = await context.managers.notes.list_owned(owner_id)    # heavy handlers and effects

A caller that wants another shape builds its manager with another output
(``NoteManager(NoteVersionMunger())``). A table that ``make add-table`` makes declares its
manager beside its model (``sql_models/<table>.py``) and needs no line here; add a property
when handlers should reach it as ``context.managers.<name>``.
"""

from __future__ import annotations

from functools import cache, cached_property

from heavy_stack.backend.data.model_managers.account_manager import AccountManager
from heavy_stack.backend.data.model_managers.account_token_manager import AccountTokenManager
from heavy_stack.backend.data.model_managers.note_embedding_manager import NoteEmbeddingManager
from heavy_stack.backend.data.model_managers.note_import_manager import NoteImportManager
from heavy_stack.backend.data.model_managers.note_manager import NoteManager
from heavy_stack.backend.data.model_managers.rate_limit_counter_manager import RateLimitCounterManager
from heavy_stack.backend.data.model_managers.user_manager import UserManager
from heavy_stack.backend.data.model_managers.user_session_manager import UserSessionManager
from heavy_stack.backend.data.model_mungers.note_mungers import NoteMunger, NoteVersionMunger
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.data.sql_models.account_token import SQLAccountToken
from heavy_stack.backend.data.sql_models.note_import import SQLNoteImport
from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding
from heavy_stack.shared_models.note import Note, NoteVersion
from heavy_stack.shared_models.rate_limit import RateLimitCount
from heavy_stack.shared_models.user import User
from heavy_stack.shared_models.user_session import UserSession


class Managers:
    """Every manager of the app, each built on first use with the output the app reads it by:
    a munger where the shared model differs from the row, else the shared model itself (its
    fields read by name) or the row's own class (the rows)."""

    @cached_property
    def users(self) -> UserManager[User]:
        return UserManager(UserMunger())

    @cached_property
    def accounts(self) -> AccountManager[User]:
        return AccountManager(UserMunger())

    @cached_property
    def user_sessions(self) -> UserSessionManager[UserSession]:
        return UserSessionManager(UserSession)

    @cached_property
    def account_tokens(self) -> AccountTokenManager[SQLAccountToken]:
        return AccountTokenManager(SQLAccountToken)

    @cached_property
    def rate_limit_counters(self) -> RateLimitCounterManager[RateLimitCount]:
        return RateLimitCounterManager(RateLimitCount)

    @cached_property
    def notes(self) -> NoteManager[Note]:
        return NoteManager(NoteMunger())

    @cached_property
    def note_versions(self) -> NoteManager[NoteVersion]:
        """The same notes, as the versions of text that embeddings are made from."""
        return NoteManager(NoteVersionMunger())

    @cached_property
    def note_imports(self) -> NoteImportManager[SQLNoteImport]:
        return NoteImportManager(SQLNoteImport)

    @cached_property
    def note_embeddings(self) -> NoteEmbeddingManager[NoteEmbedding]:
        return NoteEmbeddingManager(NoteEmbedding)


@cache
def managers() -> Managers:
    """The app's managers (one set per process)."""
    return Managers()
