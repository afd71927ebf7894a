"""``HeavyContext``: what every async heavy handler and effect receives.

This is the place to add project-wide values (a cache, the user's decryption keys...): add a
field to ``HeavyContext`` and fill it in ``open_heavy_context``.

**What the user sees waits for the commit.** While an async heavy function runs, the state
setters of ``heavy_use_state`` do not change the page: their updates are collected and applied,
in order, only once the transaction has committed, and dropped if it rolls back (the handler
raised, or COMMIT failed). So a page never shows "Saved." for a write that did not happen, and
a page author gets this without doing anything. Refs (``use_ref``) are not state: they change
at once, so a form draft kept in a ref is cleared with ``context.on_commit``, and kept when the
save fails.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from heavy import Database, SessionMaker, set_scope_user
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.registry import Managers
from heavy_stack.backend.services.accounts.service import AccountService
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.contexts import CurrentVisitor
from heavy_stack.settings import Settings
from heavy_stack.shared_models.user import User, UserId

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[object]]
StateUpdate = Callable[[], None]


class PendingUpdates:
    """State updates made inside a transaction: applied once it commits, dropped otherwise."""

    def __init__(self) -> None:
        self._updates: list[StateUpdate] = []
        self._open = True
        self.abandoned = False

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """While in this block, ``defer_until_commit`` adds to these updates."""
        token = _pending_updates.set(self)
        try:
            yield
        finally:
            _pending_updates.reset(token)

    def add(self, update: StateUpdate) -> bool:
        """Keep ``update`` for later; False once the transaction is over (apply it now)."""
        if self._open:
            self._updates.append(update)
        return self._open

    def apply(self) -> None:
        self._open = False
        updates, self._updates = self._updates, []
        if self.abandoned:
            return
        for update in updates:
            update()

    def abandon(self) -> None:
        """The page these updates were for is gone: drop them, now and when the work ends."""
        self.abandoned = True
        self._updates.clear()

    def discard(self) -> None:
        self._open = False
        self._updates.clear()


_pending_updates: ContextVar[PendingUpdates | None] = ContextVar("pending_updates", default=None)


def defer_until_commit(update: StateUpdate) -> None:
    """Run ``update`` once the current heavy transaction commits; at once outside of one.

    Dropped if the transaction rolls back. ``heavy_use_state`` setters go through here.
    """
    pending = _pending_updates.get()
    if pending is None or not pending.add(update):
        update()


class SignInRequiredError(PermissionError):
    """A handler that needs a signed-in user ran for a visitor who is not (or no longer) one."""


@dataclass(frozen=True)
class HeavyContext:
    """The database session of this call, with the rest of the connection's world.

    ``visitor`` (and so ``user``) was checked against the session store when this call began:
    a session ended elsewhere (signed out in another tab, expired) is already gone here.
    """

    db_session: AsyncSession
    services: AppServices
    visitor: Visitor
    _replace_visitor: Callable[[Visitor], None] = field(repr=False)
    _after_commit: list[AfterCommit] = field(default_factory=list, repr=False)
    _updates: PendingUpdates = field(default_factory=PendingUpdates, repr=False)

    @property
    def database(self) -> Database:
        return self.services.database

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def accounts(self) -> AccountService:
        return self.services.accounts

    @property
    def managers(self) -> Managers:
        """The app's model managers (``context.managers.notes.list(owner_id)``)."""
        return self.services.managers

    @property
    def sessionmaker(self) -> SessionMaker:
        """For work that needs sessions of its own (e.g. a long-running effect)."""
        return self.database.sessionmaker

    @property
    def user(self) -> User | None:
        return self.visitor.user

    @property
    def user_id(self) -> UserId | None:
        return None if self.user is None else self.user.id

    def require_user(self) -> User:
        """The signed-in user; SignInRequiredError (logged briefly, no traceback) if none."""
        if self.user is None:
            raise SignInRequiredError("this needs a signed-in user")
        return self.user

    def set_visitor(self, visitor: Visitor) -> None:
        """Replace the connection's visitor (e.g. signed out); the page re-renders with it."""
        self._replace_visitor(visitor)
        set_scope_user(visitor.user.id if visitor.user is not None else None)

    def after_commit(self, job: AfterCommit) -> None:
        """Run ``job`` once this call's transaction has committed (not if it rolls back).

        For work on other systems that must only see committed data, such as the vector
        database. Jobs open their own sessions; their errors are logged, not raised. They run
        after the call's state updates are applied.
        """
        self._after_commit.append(job)

    def on_commit(self, change: StateUpdate) -> None:
        """Make ``change`` when this call's transaction commits, in order with its state updates
        (before the page re-renders); never if it rolls back. For what is not state, such as
        clearing a saved form's draft refs."""
        if not self._updates.add(change):
            change()


@asynccontextmanager
async def open_heavy_context(
    services: AppServices,
    current: CurrentVisitor | None = None,
    *,
    updates: PendingUpdates | None = None,
) -> AsyncIterator[HeavyContext]:
    """One transaction: committed if the block returns, rolled back if it raises, then closed.

    State updates made in the block wait for the commit (see the module docstring), collected
    in ``updates`` when given; a failed COMMIT raises ``CommitFailedError``.
    """
    visitor = current.visitor if current is not None else Visitor()
    replace = current.replace if current is not None else _keep
    jobs: list[AfterCommit] = []
    updates = updates or PendingUpdates()
    try:
        async with services.database.transaction() as session:
            checked = await services.accounts.refresh(visitor)
            if checked != visitor and not updates.abandoned:
                replace(checked)  # at once: a session that ended is over, whatever happens next
            set_scope_user(checked.user.id if checked.user is not None else None)
            with updates.collecting():
                yield HeavyContext(session, services, checked, replace, jobs, updates)
    except BaseException:
        updates.discard()
        raise
    updates.apply()
    for job in jobs:
        try:
            await job()
        except Exception:  # the transaction is committed: a failed follow-up must not undo it
            logger.exception("After-commit job %s failed", getattr(job, "__qualname__", job))


def _keep(_visitor: Visitor) -> None:
    """No connection to update (a component mounted without the app root, as in some tests)."""
