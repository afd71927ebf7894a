"""The HTTP side of accounts: who a websocket belongs to, and the cookie hand-off routes.

A websocket cannot set cookies, and page scripts must not hold the session (the cookie is
HttpOnly). So signing in is split:

1. The sign-in page checks the password over the websocket and gets a **ticket**: random,
   single-use, valid for a minute, stored server-side and tied to this browser's binding cookie.
2. The page sends the browser to ``/account/sign-in/complete?ticket=…&next=/notes``. That
   HTTP route trades the ticket for a session, sets the session cookie and redirects (303).
3. The new page load opens a new websocket, which carries the cookie: the server
   looks the session up (``visitor_of``, which ``heavy.create_app`` calls before a connection's
   layout and before a page's first paint) before anything is rendered.

Signing out ends the session on the server over the websocket first, then visits
``/account/sign-out/complete``, which clears the cookie only if its session is over (so a link
from another site cannot sign anyone out).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from heavy import is_unavailable, is_websocket_request, read_as, safe_next_path, set_scope_user
from sanic import HTTPResponse, Request, Sanic, redirect
from sanic.response import BaseHTTPResponse

from heavy_stack.backend.services.accounts.tokens import new_token
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.backend.web.app_state import app_state
from heavy_stack.backend.web.cookies import AccountCookies

logger = logging.getLogger(__name__)

SIGN_IN_PATH = "/sign-in"
SIGN_IN_COMPLETE_PATH = "/account/sign-in/complete"
SIGN_OUT_COMPLETE_PATH = "/account/sign-out/complete"


def install_accounts(app: Sanic[Any, Any]) -> None:
    """The hand-off routes, and binding cookies on pages."""
    app.add_route(complete_sign_in, SIGN_IN_COMPLETE_PATH, name="complete_sign_in")
    app.add_route(complete_sign_out, SIGN_OUT_COMPLETE_PATH, name="complete_sign_out")
    app.register_middleware(give_the_browser_a_binding, "response")


def sign_in_completion_url(ticket: str, next_path: str) -> str:
    """Where the sign-in page sends the browser with a fresh ticket."""
    return f"{SIGN_IN_COMPLETE_PATH}?{urlencode({'ticket': ticket, 'next': safe_next_path(next_path)})}"


def sign_in_url(next_path: str, **flags: str) -> str:
    """The sign-in page, coming back to ``next_path`` afterwards."""
    return f"{SIGN_IN_PATH}?{urlencode({'next': safe_next_path(next_path), **flags})}"


def client_address(request: Request) -> str:
    """The client's address: the peer's, or the one trusted proxies report (PROXIES_COUNT)."""
    return request.remote_addr or request.ip or "unknown"


async def visitor_of(request: Request, services: AppServices) -> Visitor:
    """Who sent ``request``: its address, browser binding and the session its cookie names.

    The session is looked up (one read); when the store is unavailable the visitor is
    "unchecked" (not signed out: pages wait and check again), and any other failure signs out.
    """
    cookies = AccountCookies(services.settings)
    visitor = Visitor(client_address(request), cookies.browser_binding(request), site_url=site_url(request))
    token = cookies.session_token(request)
    if token is not None:
        try:
            async with services.database.transaction():
                visitor = await services.accounts.refresh(visitor.unchecked(token))
                if visitor.session is not None and is_websocket_request(request):
                    await services.accounts.note_seen(token)  # the sessions page's "last seen"
        except Exception as error:
            if is_unavailable(error):  # not signed out: the page waits, and checks again
                logger.warning("Could not check a session cookie (database unavailable): %r", error)
            else:
                logger.exception("Could not look up a session; the connection continues signed out")
                visitor = visitor.signed_out()
    set_scope_user(visitor.user.id if visitor.user is not None else None)
    # Reads on a replica see this visitor's own writes, from any tab and instance: the account's
    # when signed in, else this browser's.
    read_as(f"user:{visitor.user.id}" if visitor.user is not None else visitor.browser_binding)
    return visitor


def site_url(request: Request) -> str:
    """Where the browser reached the app (``https://example.com``): the request's own scheme and
    host (for a websocket, the page's; the host check has accepted that host)."""
    scheme = {"ws": "http", "wss": "https"}.get(request.scheme, request.scheme)
    return f"{scheme}://{request.host}"


async def give_the_browser_a_binding(request: Request, response: BaseHTTPResponse) -> None:
    """Response middleware: a page response gives a browser without a binding cookie one."""
    if not (response.content_type or "").startswith("text/html"):
        return
    cookies = AccountCookies(app_state(request).settings)
    if cookies.browser_binding(request) is None:
        cookies.set_browser_binding(response, new_token())


async def complete_sign_in(request: Request) -> HTTPResponse:
    """``GET /account/sign-in/complete?ticket=…&next=…``: ticket in, session cookie out."""
    services = app_state(request).services
    cookies = AccountCookies(services.settings)
    next_path = safe_next_path(request.args.get("next"))
    ticket = request.args.get("ticket", "")
    async with services.database.transaction():
        user_agent = request.headers.get("user-agent", "")
        token = await services.accounts.complete_sign_in(ticket, cookies.browser_binding(request), user_agent)
        previous = cookies.session_token(request)
        if token is not None and previous is not None:
            await services.accounts.end_session(previous)  # one session per browser
    if token is None:
        return redirect(sign_in_url(next_path, expired="1"), status=303)
    response = redirect(next_path, status=303)
    cookies.set_session(response, token)
    return response


async def complete_sign_out(request: Request) -> HTTPResponse:
    """``GET /account/sign-out/complete``: clear the cookie of a session that is over."""
    services = app_state(request).services
    cookies = AccountCookies(services.settings)
    response = redirect(sign_in_url("/", signed_out="1"), status=303)
    token = cookies.session_token(request)
    if token is not None:
        async with services.database.transaction():
            over = await services.accounts.is_session_over(token)
        if over:
            cookies.clear_session(response)
    return response
