"""``HeavyContext``: what every async heavy handler and effect receives, one per unit of work.

It is generic over the product's services (anything with a ``database``): a product subclasses
it once, ``class AppContext(HeavyContext[AppServices])``, with the properties its pages read
(``context.managers``, ``context.require_user()``...) and, if it needs one, a ``begin`` step
that runs first in every unit of work (the template re-checks the visitor's sign-in there). The
root component says which class its handlers get: ``provide_services(services,
context=AppContext)`` (``heavy.contexts``); ``open_heavy_context`` opens one anywhere else.

**What the page shows waits for the commit, when asked to.** ``context.on_commit(set_saved,
True)`` calls ``set_saved(True)`` once this unit of work has committed, in order with its other
``on_commit`` calls and before the page re-renders; it is dropped if the unit rolls back (the
function raised, or COMMIT failed) or its page went away. A state setter called directly applies
at once, as in ReactPy, wherever it is called: use that for what does not depend on the write
(a "Saving…" line) and in ``reads_only`` units, which write nothing (their ``on_commit`` runs
when the function returns). Nothing here depends on which task or context variable is current:
the context a function was given is the only way to defer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar, TypeVarTuple

from heavy.data.db_connection import Database, SessionMaker, is_unavailable
from heavy.live.pubsub import encode, publish
from sqlmodel.ext.asyncio.session import AsyncSession

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[object]]
StateUpdate = Callable[[], object]
Arguments = TypeVarTuple("Arguments")


class Services(Protocol):
    """What the framework needs of a product's services: the database its units of work use."""

    @property
    def database(self) -> Database: ...


ServicesT = TypeVar("ServicesT", bound=Services)
ContextT = TypeVar("ContextT", bound="HeavyContext[Any]")
ContextT_co = TypeVar("ContextT_co", bound="HeavyContext[Any]", covariant=True)


class SignInRequiredError(PermissionError):
    """A function that needs a signed-in user ran for a visitor who is not (or no longer) one.

    The heavy wrappers log it briefly (no traceback, no notice): the page itself shows that the
    visitor is signed out.
    """


class PendingUpdates:
    """What a unit of work shows once it has committed (``on_commit``); dropped otherwise."""

    def __init__(self) -> None:
        self._updates: list[StateUpdate] = []
        self._open = True
        self.abandoned = False

    def add(self, update: StateUpdate) -> None:
        """Keep ``update`` until the commit; once the unit is over, make it at once."""
        if self._open:
            self._updates.append(update)
        elif not self.abandoned:
            update()

    def apply(self) -> None:
        """The unit committed: make the updates, in order (none if its page went away)."""
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

    def reopen(self) -> None:
        """The unit is run again (its read replica failed): collect its updates anew."""
        self._open = True
        self._updates.clear()

    def discard(self) -> None:
        """The unit rolled back: drop the updates."""
        self._open = False
        self._updates.clear()


class HeavyContext(Generic[ServicesT]):
    """One unit of work of an async heavy handler or effect: its db session and the services.

    ``read_only``: the unit was opened ``reads_only`` (PostgreSQL refuses its writes).
    """

    __slots__ = ("_after_commit", "_pending", "db_session", "read_only", "services")

    def __init__(
        self,
        services: ServicesT,
        db_session: AsyncSession,
        *,
        read_only: bool = False,
        pending: PendingUpdates | None = None,
    ) -> None:
        self.services = services
        self.db_session = db_session
        self.read_only = read_only
        self._pending = pending if pending is not None else PendingUpdates()
        self._after_commit: list[AfterCommit] = []

    async def begin(self) -> None:
        """Runs first in each unit of work, before the handler or effect; nothing here.

        Override it for what every unit must check first (who is connected, say). What it
        raises fails the unit as the function would. ``page_gone`` tells whether its page left.
        """

    @property
    def database(self) -> Database:
        return self.services.database

    @property
    def sessionmaker(self) -> SessionMaker:
        """For work that needs db sessions of its own (e.g. a long-running effect)."""
        return self.database.sessionmaker

    @property
    def page_gone(self) -> bool:
        """Whether the page this unit works for went away (its updates will be dropped)."""
        return self._pending.abandoned

    def on_commit(self, change: Callable[[*Arguments], object], *args: *Arguments) -> None:
        """Call ``change(*args)`` once this unit of work has committed; never if it rolls back.

        ``context.on_commit(set_notes, notes)`` shows a write only once it is stored. Calls are
        made in order, before the page re-renders and before ``after_commit`` jobs. For what is
        not state too, such as clearing a saved form's draft refs. After the unit has ended
        (a task the function left running), ``change`` is made at once.
        """
        if args:
            self._pending.add(lambda: change(*args))
        else:
            self._pending.add(change)  # no arguments: as it is

    def after_commit(self, job: AfterCommit) -> None:
        """Run ``job`` once this unit of work has committed (not if it rolls back).

        For work on other systems that must only see committed data, such as the vector
        database. Jobs open their own db sessions; their errors are logged, not raised. They
        run after the unit's ``on_commit`` calls.
        """
        self._after_commit.append(job)

    def publish(self, topic: str, payload: Any) -> None:
        """Publish ``payload`` on ``topic`` (``heavy.publish``) once this unit has committed.

        Subscribers that read the database on a message then see the write; nothing is
        published if the unit rolls back. A payload that is not JSON, or too large, is refused
        here, at the call (``TypeError``/``ValueError``).
        """
        encode(topic, payload, "")
        self.after_commit(lambda: publish(topic, payload))


class ContextMaker(Protocol[ContextT_co]):
    """Makes the context of one unit of work: a ``HeavyContext`` class, or a partial of one
    carrying what the product gives every unit of a connection (``partial(AppContext,
    connection=...)``)."""

    def __call__(
        self, services: Any, db_session: AsyncSession, *, read_only: bool, pending: PendingUpdates
    ) -> ContextT_co: ...


class open_heavy_context(Generic[ContextT]):  # noqa: N801  (used as a function)
    """One unit of work: committed if the block returns, rolled back if it raises, then closed.

    ``make`` builds the context (``HeavyContext`` or the product's subclass), whose ``begin``
    runs first. ``reads_only``: a read-only unit (``Database.transaction(read_only=True)``),
    with nothing to commit. ``on_commit`` calls are collected in ``pending`` (when given) and
    made after the commit; a failed COMMIT raises ``CommitFailedError``.

    Used as ``async with open_heavy_context(services, AppContext) as context``. A class, not an
    ``asynccontextmanager``: every click's unit goes through it (see ``_current_session``).
    """

    __slots__ = ("_context", "_make", "_pending", "_reads_only", "_services", "_transaction")

    def __init__(
        self,
        services: Services,
        make: ContextMaker[ContextT],
        *,
        reads_only: bool = False,
        pending: PendingUpdates | None = None,
    ) -> None:
        self._services = services
        self._make = make
        self._reads_only = reads_only
        self._pending = pending if pending is not None else PendingUpdates()

    async def __aenter__(self) -> ContextT:
        transaction = self._transaction = self._services.database.transaction(read_only=self._reads_only)
        session = await transaction.__aenter__()
        try:
            context = self._make(self._services, session, read_only=self._reads_only, pending=self._pending)
            await context.begin()
        except BaseException as error:  # as if the block had raised it: rolled back, closed
            await self.__aexit__(type(error), error, error.__traceback__)
            raise
        self._context = context
        return context

    async def __aexit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self._transaction.__aexit__(error_type, error, traceback)
        except BaseException:
            self._pending.discard()
            raise
        if error_type is not None:
            self._pending.discard()
            return
        self._pending.apply()
        for job in self._context._after_commit:
            await _run_after_commit(job)


async def _run_after_commit(job: AfterCommit) -> None:
    name = getattr(job, "__qualname__", job)
    try:
        await job()
    except Exception as error:  # the unit is committed: a failed follow-up must not undo it
        if is_unavailable(error):
            # An outage that began after the commit: a known state, said in one line (the
            # readiness check and the pages say it too), not a bug's traceback.
            logger.warning("After-commit job %s did not finish: the database is unavailable", name)
        else:
            logger.exception("After-commit job %s failed", name)
