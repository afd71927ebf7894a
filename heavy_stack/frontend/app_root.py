"""The root component: app-wide contexts around the router, and the table of pages.

``heavy.create_app`` mounts ``AppRoot`` for each live connection and renders it for each page's
first paint; ``PAGES`` gives each address its title and HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from heavy import N_, PageRoute, Pages, heavy_use_state, html, provide_context, provide_services
from reactpy import component

from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.frontend.accounts import SignedInOnly, use_session_watch
from heavy_stack.frontend.app_context import AppContext
from heavy_stack.frontend.brython_executors import use_brython_bridge
from heavy_stack.frontend.components.layout import OnlineCount
from heavy_stack.frontend.components.notice import use_notice_banner
from heavy_stack.frontend.contexts import CurrentUserContext, CurrentVisitor, VisitorContext
from heavy_stack.frontend.pages.account import (
    AccountPage,
    ForgotPasswordPage,
    ResetPasswordPage,
    SessionsPage,
    VerifyEmailPage,
)
from heavy_stack.frontend.pages.landing import LandingPage
from heavy_stack.frontend.pages.not_found import NotFoundPage
from heavy_stack.frontend.pages.notes import NotePage, NotesPage
from heavy_stack.frontend.pages.other import OtherPage
from heavy_stack.frontend.pages.sign_in import SignInPage, SignUpPage
from heavy_stack.frontend.top_bar import TopBar
from heavy_stack.frontend.types import Component

PAGE_TITLE_ID = "heavy-page-title"


# Matched in order, as the router does; the last one takes any address and answers 404.
# Titles are shown in the visitor's language (PageRoute.full_title).
PAGES = Pages(
    PageRoute("/", None, LandingPage),
    PageRoute("/other", N_("The other page"), OtherPage),
    PageRoute("/sign-in", N_("Sign in"), SignInPage),
    PageRoute("/sign-up", N_("Sign up"), SignUpPage),
    PageRoute("/forgot-password", N_("Forgot your password?"), ForgotPasswordPage),
    PageRoute("/reset-password", N_("Choose a new password"), ResetPasswordPage),
    PageRoute("/verify-email", N_("Confirm your e-mail address"), VerifyEmailPage),
    PageRoute("/account", N_("Your account"), lambda: SignedInOnly(AccountPage())),
    PageRoute("/account/sessions", N_("Sessions"), lambda: SignedInOnly(SessionsPage())),
    PageRoute("/notes", N_("Notes"), lambda: SignedInOnly(NotesPage())),
    PageRoute("/notes/{note_id:uuid}", N_("Note"), lambda: SignedInOnly(NotePage())),
    PageRoute("{path:any}", N_("Page not found"), NotFoundPage, status=404),
)


@component
def AppRoot(services: AppServices, visitor: Visitor | None = None) -> Component:
    """Every page of the app, under the services, the visitor and Brython's bridge.

    ``visitor`` is who the websocket handshake showed (session cookie, client address); the
    server passes it, tests pass whom they like, and ``None`` is an anonymous visitor.
    """
    current, set_current = heavy_use_state(visitor or Visitor())
    # Provided by this component itself, not by nested provider elements: each of those is a
    # component and a level of the layout more, which every connection holds.
    connection = CurrentVisitor(current, set_current)
    # Async handlers below get an AppContext of this connection in each unit of work.
    provide_services(services, context=partial(AppContext, connection=connection))
    provide_context(VisitorContext, connection)
    provide_context(CurrentUserContext, current.user)
    executor, bridge = use_brython_bridge()
    use_session_watch(services, current, executor)
    # The notice banner sits above every page: the heavy wrappers report failed writes there.
    banner = use_notice_banner()
    app_title = services.settings.app_title
    # Each route holds its page's factory: only the shown page's components are made. The
    # routes are made once per language and shared by every connection (Pages.router).
    pages = PAGES.router(
        lambda page: Page(page.content, title=page.full_title(app_title), app_name=app_title), key=app_title
    )
    return html._(banner, pages, OnlineCount(), bridge)


@component
def Page(content: Callable[[], Component], *, title: str = "", app_name: str = "") -> Component:
    """A route's page (what ``content()`` makes) under the top bar (``app_name``, the account bar).

    ``title`` is the window title: the HTTP response has it in ``<title>``, and the page script
    copies it from this hidden element when the router changes the page without a reload.
    """
    marker = html.span({"id": PAGE_TITLE_ID, "hidden": True, "data-title": title})
    return html._(TopBar(app_name), content(), marker)
