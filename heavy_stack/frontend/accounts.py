"""Account pieces every page can use: the account bar, and pages that need a signed-in user."""

from __future__ import annotations

from typing import Any

from heavy_stack_brython.navigate import navigate_to
from reactpy import component, html, use_location
from reactpy_router import navigate

from heavy_stack.backend.accounts.http import SIGN_OUT_COMPLETE_PATH, sign_in_url
from heavy_stack.frontend.app_context import CurrentUserContext
from heavy_stack.frontend.brython_executors import BrythonExecutorContext
from heavy_stack.frontend.components import Button, CenteredColumn, PageTitle, Paragraph, RouterLink
from heavy_stack.frontend.heavy_context import HeavyContext
from heavy_stack.frontend.reactpy_util import heavy_event, heavy_use_context
from heavy_stack.frontend.types import Component


@component
def SignedInOnly(page: Component) -> Component:
    """``page`` for a signed-in user; anyone else is sent to sign in, and comes back after."""
    user = heavy_use_context(CurrentUserContext)
    location = use_location()
    if user is not None:
        return page
    url = sign_in_url(location.pathname + location.search)
    return CenteredColumn(
        PageTitle("Sign in to continue"),
        Paragraph(RouterLink("Sign in", url, id="sign-in-to-continue")),
        navigate(url, replace=True),
    )


@component
def AccountBar() -> Component:
    """Who is signed in, with links to the account pages, at the top of every page."""
    user = heavy_use_context(CurrentUserContext)
    executor = heavy_use_context(BrythonExecutorContext)

    async def sign_out(context: HeavyContext, _event: dict[str, Any]) -> None:
        # The session ends here, on the server; once that is committed, the browser drops its
        # cookie (the route clears it only for a session that is over).
        context.set_visitor(await context.accounts.sign_out(context.visitor))
        context.after_commit(drop_the_cookie)

    async def drop_the_cookie() -> None:
        if executor is not None:
            executor.call(navigate_to, url=SIGN_OUT_COMPLETE_PATH)

    if user is None:
        links = [
            RouterLink("Sign in", "/sign-in", id="to-sign-in"),
            RouterLink("Sign up", "/sign-up", id="to-sign-up"),
        ]
        return html.nav({"className": "account-bar", "id": "account-bar"}, *links)
    return html.nav(
        {"className": "account-bar", "id": "account-bar"},
        html.span({"id": "signed-in-as"}, f"Signed in as {user.display_name}"),
        RouterLink("Notes", "/notes", id="to-notes"),
        Button("Sign out", heavy_event(sign_out), id="sign-out"),
    )
