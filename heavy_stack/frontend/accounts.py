"""Account pieces every page can use: the account bar, and pages that need a signed-in user."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from heavy import (
    N_,
    TopicMessage,
    heavy_event,
    heavy_use_context,
    heavy_use_effect,
    heavy_use_state,
    heavy_use_topic,
    html,
    static_html,
)
from heavy import gettext as t
from reactpy import component, use_location
from reactpy_router import navigate

from heavy_stack.backend.services.accounts.service import session_topic
from heavy_stack.backend.services.accounts.visitor import Visitor
from heavy_stack.backend.services.container import AppServices
from heavy_stack.backend.web.accounts import SIGN_IN_PATH, SIGN_OUT_COMPLETE_PATH, sign_in_url
from heavy_stack.frontend.app_context import ENDED_FLAGS, AppContext
from heavy_stack.frontend.brython_executors import BrythonExecutor, BrythonExecutorContext
from heavy_stack.frontend.components import Button, CenteredColumn, PageTitle, Paragraph, RouterLink
from heavy_stack.frontend.contexts import CurrentUserContext, VisitorContext
from heavy_stack.frontend.types import Component
from heavy_stack_brython.navigate import navigate_to

RECHECK_SECONDS = 3.0
CHECKING_SIGN_IN = N_(
    "The database is unavailable, so your sign-in cannot be checked right now. "
    "This page continues by itself once it is back."
)


@component
def SignedInOnly(page: Component) -> Component:
    """``page`` for a signed-in user; anyone else is sent to sign in, and comes back after."""
    user = heavy_use_context(CurrentUserContext)
    current = heavy_use_context(VisitorContext)
    location = use_location()
    if user is not None:
        return page
    if current is not None and current.visitor.is_unchecked:  # not signed out: not known yet
        return CenteredColumn(
            PageTitle(t("Checking your sign-in…")),
            Paragraph(t(CHECKING_SIGN_IN), id="sign-in-unchecked"),
        )
    url = sign_in_url(location.pathname + location.search)
    return CenteredColumn(
        PageTitle(t("Sign in to continue")),
        Paragraph(RouterLink(t("Sign in"), url, id="sign-in-to-continue")),
        navigate(url, replace=True),
    )


# A plain function, not a component: it keeps no state of its own (contexts only), so as a
# component it only cost every open page a layout level (docs/benchmarks.md, "Memory").
def AccountBar() -> Component:
    """Who is signed in, with links to the account pages, in the top bar of every page."""
    user = heavy_use_context(CurrentUserContext)
    current = heavy_use_context(VisitorContext)
    executor = heavy_use_context(BrythonExecutorContext)

    async def sign_out(context: AppContext) -> None:
        # The session ends here, on the server; once that is committed, the browser drops its
        # cookie (the route clears it only for a session that is over).
        context.set_visitor(await context.accounts.sign_out(context.visitor))
        context.after_commit(drop_the_cookie)

    async def drop_the_cookie() -> None:
        if executor is not None:
            executor.call(navigate_to, url=SIGN_OUT_COMPLETE_PATH)

    if current is not None and current.visitor.is_unchecked:
        return html.nav(_bar(), SessionRecheck())
    if user is None:
        return SignedOutBar()
    return html.nav(
        _bar(),
        html.span({"id": "signed-in-as"}, t("Signed in as {name}").format(name=user.display_name)),
        RouterLink(t("Notes"), "/notes", id="to-notes"),
        RouterLink(t("Account"), "/account", id="to-account"),
        Button(t("Sign out"), heavy_event(sign_out), id="sign-out"),
    )


@static_html  # every signed-out visitor's, in a language: made once
def SignedOutBar() -> Component:
    links = [
        RouterLink(t("Sign in"), "/sign-in", id="to-sign-in"),
        RouterLink(t("Sign up"), "/sign-up", id="to-sign-up"),
    ]
    return html.nav(_bar(), *links)


def _bar() -> dict[str, str]:
    return {"className": "top-bar-links", "id": "account-bar", "aria-label": t("Account")}


@component
def SessionRecheck() -> Component:
    """While the visitor's cookie could not be checked (database unavailable), check it again
    every ``RECHECK_SECONDS``; once it is known, the visitor is replaced and this unmounts."""
    attempt, set_attempt = heavy_use_state(0)

    async def check(context: AppContext) -> None:
        """Each unit of work checks the session again first (``AppContext.begin``)."""

    def check_again_later() -> Callable[[], None]:
        timer = asyncio.get_running_loop().call_later(RECHECK_SECONDS, set_attempt, attempt + 1)
        return timer.cancel

    heavy_use_effect(check, [attempt], reads_only=True)
    heavy_use_effect(check_again_later, [attempt])
    return html.span({"id": "checking-sign-in"}, t("Checking your sign-in…"))


def use_session_watch(services: AppServices, visitor: Visitor, executor: BrythonExecutor | None) -> None:
    """While this connection is signed in, follow its session's topic: when its owner ends it
    from another browser, a password reset ends it or the account is deleted, on whichever
    instance, the page goes to the sign-in page, which says why (``session_topic``)."""
    session = visitor.session
    topic = None if session is None else session_topic(services.accounts.session_key(session.token))

    async def ended(context: AppContext, message: TopicMessage) -> None:
        why = message.payload.get("why") if isinstance(message.payload, dict) else None
        if message.resync and session is not None:  # news may have been lost: ask the store
            mark = await context.accounts.why_ended(session.token)
            why = None if mark is None else ENDED_FLAGS[mark]
        if why in ENDED_FLAGS.values() and executor is not None:
            executor.call(navigate_to, url=f"{SIGN_IN_PATH}?{why}=1")

    heavy_use_topic(topic, ended, reads_only=True)
