"""``Managers``: the one way the app gets a model manager.

Managers hold no state (their repositories take the session from the context variable), so
one of each, with the munger the app uses, serves every handler, job and test::

    notes = await managers().notes.list(owner_id)          # services, jobs, tests
    notes = await context.managers.notes.list(owner_id)    # heavy handlers and effects

A caller that wants another shape builds its manager with another munger
(``NoteManager(NoteVersionMunger())``); add a property here when the app uses it in more than
one place. ``dev_scripts/add_table.py`` adds each new table's manager.
"""

from __future__ import annotations

from functools import cache, cached_property

from heavy_stack.backend.data.model_managers.account_manager import AccountManager
from heavy_stack.backend.data.model_managers.note_embedding_manager import NoteEmbeddingManager
from heavy_stack.backend.data.model_managers.note_manager import NoteManager
from heavy_stack.backend.data.model_managers.rate_limit_counter_manager import RateLimitCounterManager
from heavy_stack.backend.data.model_managers.user_manager import UserManager
from heavy_stack.backend.data.model_managers.user_session_manager import UserSessionManager
from heavy_stack.backend.data.model_mungers.note_embedding_mungers import NoteEmbeddingMunger
from heavy_stack.backend.data.model_mungers.note_mungers import NoteMunger, NoteVersionMunger
from heavy_stack.backend.data.model_mungers.rate_limit_counter_mungers import RateLimitCountMunger
from heavy_stack.backend.data.model_mungers.user_mungers import UserMunger
from heavy_stack.backend.data.model_mungers.user_session_mungers import UserSessionMunger
from heavy_stack.backend.data.vector_models.note_embedding import NoteEmbedding
from heavy_stack.shared_models.note import Note, NoteVersion
from heavy_stack.shared_models.rate_limit import RateLimitCount
from heavy_stack.shared_models.user import User
from heavy_stack.shared_models.user_session import UserSession


class Managers:
    """Every manager of the app, each built on first use with the munger the app reads it by."""

    @cached_property
    def users(self) -> UserManager[User]:
        return UserManager(UserMunger())

    @cached_property
    def accounts(self) -> AccountManager[User]:
        return AccountManager(UserMunger())

    @cached_property
    def user_sessions(self) -> UserSessionManager[UserSession]:
        return UserSessionManager(UserSessionMunger())

    @cached_property
    def rate_limit_counters(self) -> RateLimitCounterManager[RateLimitCount]:
        return RateLimitCounterManager(RateLimitCountMunger())

    @cached_property
    def notes(self) -> NoteManager[Note]:
        return NoteManager(NoteMunger())

    @cached_property
    def note_versions(self) -> NoteManager[NoteVersion]:
        """The same notes, as the versions of text that embeddings are made from."""
        return NoteManager(NoteVersionMunger())

    @cached_property
    def note_embeddings(self) -> NoteEmbeddingManager[NoteEmbedding]:
        return NoteEmbeddingManager(NoteEmbeddingMunger())

    # add_table.py adds new managers above this line.


@cache
def managers() -> Managers:
    """The app's managers (one set per process)."""
    return Managers()
