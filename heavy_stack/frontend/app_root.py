"""The root component: app-wide contexts around the router."""

from __future__ import annotations

from reactpy import component, html
from reactpy.backend.sanic import use_request
from reactpy_router import browser_router, route

from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.backend.web.app_state import app_state
from heavy_stack.frontend.accounts import AccountBar, SignedInOnly
from heavy_stack.frontend.brython_executors import BrythonExecutorProvider
from heavy_stack.frontend.components.notice import NoticeProvider
from heavy_stack.frontend.contexts import (
    AppServicesContext,
    CurrentUserContext,
    CurrentVisitor,
    VisitorContext,
)
from heavy_stack.frontend.hooks import heavy_use_state
from heavy_stack.frontend.pages.landing import LandingPage
from heavy_stack.frontend.pages.not_found import NotFoundPage
from heavy_stack.frontend.pages.notes import NotePage, NotesPage
from heavy_stack.frontend.pages.other import OtherPage
from heavy_stack.frontend.pages.sign_in import SignInPage, SignUpPage
from heavy_stack.frontend.timezone import TimezoneProvider
from heavy_stack.frontend.types import Component


@component
def AppRoot(services: AppServices, visitor: Visitor | None = None) -> Component:
    """Every page of the app, under the services, the visitor, Brython and the time zone.

    ``visitor`` is who the websocket handshake showed (session cookie, client address); the
    server passes it, tests pass whom they like, and ``None`` is an anonymous visitor.
    """
    current, set_current = heavy_use_state(visitor or Visitor())
    pages = browser_router(
        route("/", Page(LandingPage())),
        route("/other", Page(OtherPage())),
        route("/sign-in", Page(SignInPage())),
        route("/sign-up", Page(SignUpPage())),
        route("/notes", Page(SignedInOnly(NotesPage()))),
        route("/notes/{note_id:uuid}", Page(SignedInOnly(NotePage()))),
        route("{path:any}", Page(NotFoundPage())),
    )
    # The notice banner sits above every page: the heavy wrappers report failed writes there.
    browser = BrythonExecutorProvider(TimezoneProvider(NoticeProvider(pages)))
    with_user = CurrentUserContext(browser, value=current.user)
    with_visitor = VisitorContext(with_user, value=CurrentVisitor(current, set_current))
    return AppServicesContext(with_visitor, value=services)


@component
def Page(content: Component) -> Component:
    """A route's page under the account bar."""
    return html._(AccountBar(), content)


@component
def ServerRoot() -> Component:
    """The root the Sanic server mounts for each websocket connection."""
    request = use_request()
    return AppRoot(app_state(request).services, getattr(request.ctx, "visitor", None))
