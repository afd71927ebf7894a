"""``Visitor``: who is on the other end of one websocket connection."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from heavy_stack.shared_models.user import User

UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class SignedInSession:
    """A session the visitor's cookie named when the connection opened, and its user."""

    token: str = field(repr=False)
    user: User


@dataclass(frozen=True)
class Visitor:
    """The client address, the browser's binding cookie, and the session, if signed in.

    Built from the websocket handshake (see ``backend/accounts/http.py``); components reach it
    through ``VisitorContext`` and handlers through ``HeavyContext.visitor``.
    """

    client_address: str = UNKNOWN_ADDRESS
    # The value of this browser's binding cookie: sign-in hand-offs are tied to it.
    browser_binding: str | None = field(default=None, repr=False)
    session: SignedInSession | None = None
    # A session cookie the store could not be asked about (database unavailable): this visitor
    # is neither signed in nor signed out yet. The next heavy call checks it again.
    unchecked_token: str | None = field(default=None, repr=False)
    # The address this visitor reaches the app at ("https://example.com"): links sent by e-mail
    # start with it. From the request's own scheme and host, which the websocket's host check
    # has accepted.
    site_url: str = "http://127.0.0.1:8000"

    @property
    def user(self) -> User | None:
        return None if self.session is None else self.session.user

    @property
    def is_unchecked(self) -> bool:
        return self.unchecked_token is not None

    def signed_out(self) -> Visitor:
        return replace(self, session=None, unchecked_token=None)

    def signed_in(self, session: SignedInSession) -> Visitor:
        return replace(self, session=session, unchecked_token=None)

    def unchecked(self, token: str) -> Visitor:
        """Not known yet: the store could not be reached to check ``token``."""
        return replace(self, session=None, unchecked_token=token)
