"""``AppContext``: what the app's async handlers and effects receive (``heavy.HeavyContext``
for ``AppServices``, with the visitor of the connection).

This is the place to add project-wide values (a cache, the user's decryption keys...): a
property over ``self.services``, or a value set up in ``begin``.

**Who is connected is checked at the start of every unit of work** (``begin``): the visitor's
session is read again (``AccountService.refresh``), so a session ended elsewhere (signed out in
another tab, expired) is already gone when the handler runs, and ``require_user`` refuses it.
An anonymous visitor costs nothing, and a session found valid is trusted for
``session_recheck_seconds``, so most clicks make no round trip for it. It is not skipped for
handlers that do not look at the visitor: whatever they do, they do for a page the visitor
still holds, and a sign-out must reach that page.
"""

from __future__ import annotations

from heavy import HeavyContext, OutgoingMail, PendingUpdates, SignInRequiredError, set_scope_user
from sqlmodel.ext.asyncio.session import AsyncSession

from heavy_stack.backend.data.model_managers.registry import Managers
from heavy_stack.backend.services.accounts.service import (
    AccountService,
    EndedSessions,
    MailResult,
    session_topic,
)
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.contexts import CurrentVisitor
from heavy_stack.settings import Settings
from heavy_stack.shared_models.user import User, UserId
from heavy_stack.shared_models.user_session import SessionPurpose

# What the sign-in page is told of why a live page's session ended (None: the account was deleted).
ENDED_FLAGS = {SessionPurpose.ENDED: "ended", SessionPurpose.RESET: "reset", None: "deleted"}


class AppContext(HeavyContext[AppServices]):
    """A unit of work of the app, with who is on the other end of the connection.

    ``visitor`` (and so ``user``) was checked against the session store when the unit began.
    The app root gives handlers ``partial(AppContext, connection=...)``; without a connection
    (a component mounted alone in a test) the visitor is anonymous.
    """

    __slots__ = ("_connection", "visitor")

    def __init__(
        self,
        services: AppServices,
        db_session: AsyncSession,
        *,
        read_only: bool = False,
        pending: PendingUpdates | None = None,
        connection: CurrentVisitor | None = None,
    ) -> None:
        super().__init__(services, db_session, read_only=read_only, pending=pending)
        self._connection = connection
        self.visitor = connection.visitor if connection is not None else Visitor()

    async def begin(self) -> None:
        """Check the visitor's session again. A session that ended is over for the page at once,
        whatever the unit does next (not on commit: nothing is written by finding it ended)."""
        checked = await self.accounts.refresh(self.visitor)
        if checked != self.visitor and not self.page_gone:
            self._replace(checked)
        self.visitor = checked
        set_scope_user(checked.user.id if checked.user is not None else None)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def accounts(self) -> AccountService:
        return self.services.accounts

    @property
    def managers(self) -> Managers:
        """The app's model managers (``context.managers.notes.list_owned(owner_id)``)."""
        return self.services.managers

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
        """This unit's visitor from now on (e.g. signed out); the connection's, and so the
        page's, once the unit has committed (``on_commit``)."""
        self.visitor = visitor
        set_scope_user(visitor.user.id if visitor.user is not None else None)
        self.on_commit(self._replace, visitor)

    def send_after_commit(self, mail: OutgoingMail | MailResult | None) -> None:
        """Send a mail once this unit has committed (its link is stored by then), or a
        result's, which it may compose then in a transaction of its own; the answer waits for
        neither."""
        result = mail if isinstance(mail, MailResult) else MailResult("", mail)
        if result.mail is not None:
            self.on_commit(self.accounts.send_soon, result.mail)
        if result.compose is not None:
            self.on_commit(self.accounts.compose_and_send_soon, self.services.database, result.compose)

    def end_live_pages_after_commit(self, ended: EndedSessions) -> None:
        """Once this unit has committed, send the live pages of ``ended`` to sign in, on every
        instance (heavy's pub/sub: ``session_topic``)."""
        for key, why in ended.digests.items():
            self.publish(session_topic(key), {"why": ENDED_FLAGS.get(why, "ended")})

    def _replace(self, visitor: Visitor) -> None:
        if self._connection is not None:
            self._connection.replace(visitor)
